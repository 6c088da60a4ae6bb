package io.nexs.postgres.sample;

import java.util.List;
import java.util.Optional;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.query.NamedParameters;

import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * Orders in PostgreSQL, through the {@link PostgresProvider}: rows map to the {@link Order} record by column
 * name, and the calls join Spring's {@code @Transactional} transactions.
 */
@Repository
class OrderRepository {

    private static final String COLUMNS = "id, customer, total, created_at";

    private final PostgresProvider postgres;

    OrderRepository(PostgresProvider postgres) {
        this.postgres = postgres;
    }

    @Transactional
    Order insert(NewOrder order) {
        return this.postgres
            .queryOne(Order.class, "insert into orders (customer, total) values (:customer, :total) returning "
                    + COLUMNS, NamedParameters.of(order))
            .orElseThrow();
    }

    @Transactional(readOnly = true)
    Optional<Order> find(long id) {
        return this.postgres.queryOne(Order.class, "select " + COLUMNS + " from orders where id = ?", id);
    }

    @Transactional(readOnly = true)
    List<Order> latest(int limit) {
        return this.postgres.queryAll(Order.class,
                "select " + COLUMNS + " from orders order by id desc limit ?", limit);
    }

}
