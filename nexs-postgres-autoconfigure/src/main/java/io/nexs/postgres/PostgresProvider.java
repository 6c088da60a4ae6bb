package io.nexs.postgres;

import java.util.List;

import javax.sql.DataSource;

import io.nexs.postgres.pool.NodePool;

/**
 * The entry point to nexs-postgres: the queries, statements and transactions of {@link PostgresOperations}, the
 * application's PostgreSQL nodes, their pools and the {@link DataSource} that Spring's JDBC support,
 * {@code @Transactional} and migration tools use.
 *
 * <p>With the starter on the class path a provider is a bean; inject it where the nodes themselves matter:
 * <pre>{@code
 * @Component
 * class ServerReport {
 *     ServerReport(PostgresProvider postgres) {
 *         NodePool primary = postgres.primary();
 *         log.info("{} is {}", primary.name(), primary.role());
 *     }
 * }
 * }</pre>
 */
public interface PostgresProvider extends PostgresOperations {

    /**
     * The {@link DataSource} that application code should use.
     * @return the data source
     */
    DataSource dataSource();

    /**
     * The pool of the node that takes writes.
     * @return the primary's pool
     */
    NodePool primary();

    /**
     * The pools of every node this provider knows, the primary first.
     * @return the pools, never empty
     */
    List<NodePool> nodes();

}
