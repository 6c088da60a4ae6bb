package io.nexs.postgres.sample;

import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * Orders in PostgreSQL, through the plain {@link JdbcClient} that Spring Boot builds on the nexs-postgres
 * DataSource.
 */
@Repository
class OrderRepository {

    private final JdbcClient jdbc;

    OrderRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    Order insert(NewOrder order) {
        return this.jdbc
            .sql("insert into orders (customer, total) values (:customer, :total) "
                    + "returning id, customer, total, created_at")
            .param("customer", order.customer())
            .param("total", order.total())
            .query(Order.class)
            .single();
    }

    @Transactional(readOnly = true)
    Optional<Order> find(long id) {
        return this.jdbc.sql("select id, customer, total, created_at from orders where id = :id")
            .param("id", id)
            .query(Order.class)
            .optional();
    }

    @Transactional(readOnly = true)
    List<Order> latest(int limit) {
        return this.jdbc.sql("select id, customer, total, created_at from orders order by id desc limit :limit")
            .param("limit", limit)
            .query(Order.class)
            .list();
    }

}
