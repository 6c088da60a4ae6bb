create table if not exists orders (
    id         bigint generated always as identity primary key,
    customer   varchar(200)   not null,
    total      numeric(12, 2) not null check (total >= 0),
    created_at timestamptz    not null default now()
);
