create table greeting (id int primary key, text varchar(40) not null);
insert into greeting values (1, 'hello');
