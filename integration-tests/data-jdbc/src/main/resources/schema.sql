create table if not exists note (
    id bigint generated always as identity primary key,
    text varchar(200) not null
);
