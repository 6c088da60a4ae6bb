package io.nexs.postgres.hook;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.Retrier;

/**
 * Pools and templates for the hook tests that run against a node of the test kit without a topology.
 */
final class HookTestSupport {

    private HookTestSupport() {
    }

    /** A small HikariCP pool on the node. */
    static HikariDataSource pool(PostgresNode node) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(node.jdbcUrl());
        dataSource.setUsername(node.username());
        dataSource.setPassword(node.password());
        dataSource.setMaximumPoolSize(4);
        dataSource.setConnectionTimeout(Duration.ofSeconds(5).toMillis());
        dataSource.addDataSourceProperty("logServerErrorDetail", "false");
        return dataSource;
    }

    /** A template that calls the manager's hooks and does not retry. */
    static PostgresTemplate template(HikariDataSource dataSource, HookManager hooks) {
        return template(dataSource, hooks, Retrier.disabled());
    }

    /** A template that calls the manager's hooks and retries with the retrier. */
    static PostgresTemplate template(HikariDataSource dataSource, HookManager hooks, Retrier retrier) {
        return new PostgresTemplate(dataSource, new RowMappers(UnmappedColumns.IGNORE, null), 100, hooks, retrier);
    }

}
