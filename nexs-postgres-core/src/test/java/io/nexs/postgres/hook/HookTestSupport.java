package io.nexs.postgres.hook;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.tx.Retrier;

/**
 * Templates for the hook tests that run against a node of the test kit without a topology.
 */
final class HookTestSupport {

    private HookTestSupport() {
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
