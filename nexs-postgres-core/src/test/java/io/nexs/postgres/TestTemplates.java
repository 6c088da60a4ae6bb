package io.nexs.postgres;

import javax.sql.DataSource;

import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.tx.Retrier;

/**
 * Templates over a test data source with the hooks or retrier a test is about, unmapped columns ignored and
 * 100 rows fetched per round trip, so that tests in every package build them one way.
 */
public final class TestTemplates {

    private TestTemplates() {
    }

    /**
     * A template that calls the manager's hooks and does not retry.
     * @param dataSource where the template connects
     * @param hooks the hooks it calls
     * @return the template
     */
    public static PostgresTemplate template(DataSource dataSource, HookManager hooks) {
        return template(dataSource, hooks, Retrier.disabled());
    }

    /**
     * A template without hooks that retries with the retrier.
     * @param dataSource where the template connects
     * @param retrier how it retries
     * @return the template
     */
    public static PostgresTemplate template(DataSource dataSource, Retrier retrier) {
        return template(dataSource, HookManager.none(), retrier);
    }

    /**
     * A template that calls the manager's hooks and retries with the retrier.
     * @param dataSource where the template connects
     * @param hooks the hooks it calls
     * @param retrier how it retries
     * @return the template
     */
    public static PostgresTemplate template(DataSource dataSource, HookManager hooks, Retrier retrier) {
        return new PostgresTemplate(dataSource, new RowMappers(UnmappedColumns.IGNORE, null), 100, hooks, retrier);
    }

}
