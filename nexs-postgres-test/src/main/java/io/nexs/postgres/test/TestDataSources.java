package io.nexs.postgres.test;

import com.zaxxer.hikari.HikariDataSource;

/**
 * HikariCP pools over a test node, with the driver properties nexs-postgres sets on its own pools: batched
 * inserts rewritten, and no bound values in server error details.
 *
 * <p>A pool opens its first connection when first used, so it can still be configured after it is returned.
 * Needs HikariCP on the test class path; {@link PostgresNode} and {@link PostgresCluster} do not.
 *
 * <pre>{@code
 * try (HikariDataSource dataSource = TestDataSources.pooled(node, 4)) {
 *     new JdbcTemplate(dataSource).execute("create table orders (id bigint primary key)");
 * }
 * }</pre>
 */
public final class TestDataSources {

    /** How long a borrower waits for a connection: long enough for a slow machine, short enough to fail fast. */
    private static final long CONNECTION_TIMEOUT_MILLIS = 5_000;

    private TestDataSources() {
    }

    /**
     * A pool of connections straight to the node.
     * @param node the node
     * @param maximumPoolSize the most connections the pool opens
     * @return the pool, which the caller closes
     */
    public static HikariDataSource pooled(PostgresNode node, int maximumPoolSize) {
        return pooled(node, node.jdbcUrl(), maximumPoolSize);
    }

    /**
     * A pool of connections to another address of the node, such as a {@link TcpProxy} in front of it, with the
     * node's credentials.
     * @param node the node whose credentials the pool uses
     * @param jdbcUrl where to connect
     * @param maximumPoolSize the most connections the pool opens
     * @return the pool, which the caller closes
     */
    public static HikariDataSource pooled(PostgresNode node, String jdbcUrl, int maximumPoolSize) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername(node.username());
        dataSource.setPassword(node.password());
        dataSource.setMaximumPoolSize(maximumPoolSize);
        dataSource.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        dataSource.addDataSourceProperty("reWriteBatchedInserts", "true");
        dataSource.addDataSourceProperty("logServerErrorDetail", "false");
        return dataSource;
    }

}
