package io.nexs.postgres.sample;

import java.util.List;
import java.util.Optional;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.query.NamedParameters;

import org.springframework.aot.hint.annotation.RegisterReflectionForBinding;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * Orders in PostgreSQL, through the {@link PostgresProvider}: rows map to the {@link Order} record by column
 * name, and the calls join Spring's {@code @Transactional} transactions.
 *
 * <p>The query API finds out by reflection how to build an {@link Order} from a row (its record components and
 * canonical constructor) and how to read the {@code :name} parameters of a {@link NewOrder} (its components and
 * fields). A JVM allows that for any class, but a GraalVM native image keeps only the reflection metadata it was
 * told about at build time, and no library can know an application's classes in advance. So every class passed
 * to {@code queryAll}, {@code queryOne} or {@code NamedParameters.of} is listed in
 * {@link RegisterReflectionForBinding @RegisterReflectionForBinding}, which Spring's AOT processing turns into
 * reflection hints for constructors, fields and accessors. (The controller's request and response types get the
 * same hints for JSON anyway; the repository does not rely on that.)
 */
@Repository
@RegisterReflectionForBinding({ Order.class, NewOrder.class })
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
