package io.nexs.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresNode;

/**
 * Pools for tests that exercise the core without the auto-configuration, with the driver properties
 * nexs-postgres sets by default.
 */
final class TestDataSources {

    private TestDataSources() {
    }

    static HikariDataSource pooled(PostgresNode node, int size) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(node.jdbcUrl());
        dataSource.setUsername(node.username());
        dataSource.setPassword(node.password());
        dataSource.setMaximumPoolSize(size);
        dataSource.addDataSourceProperty("reWriteBatchedInserts", "true");
        dataSource.addDataSourceProperty("logServerErrorDetail", "false");
        return dataSource;
    }

}
