package io.nexs.postgres.copy;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;

/**
 * The pools and retry policy the COPY tests share.
 */
final class CopyTestSupport {

    private CopyTestSupport() {
    }

    /**
     * A pool over a node, with the driver's error details off as nexs-postgres sets them.
     * @param node the node
     * @param size the pool's size
     * @return the pool; close it
     */
    static HikariDataSource pool(PostgresNode node, int size) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(node.jdbcUrl());
        dataSource.setUsername(node.username());
        dataSource.setPassword(node.password());
        dataSource.setMaximumPoolSize(size);
        dataSource.addDataSourceProperty("logServerErrorDetail", "false");
        return dataSource;
    }

    /**
     * Three attempts with short pauses, so tests that retry stay fast.
     * @return the retrier
     */
    static Retrier quickRetrier() {
        RetrySettings quick = RetrySettings.defaults()
            .withMaxAttempts(3)
            .withBackOff(Duration.ofMillis(5), 1.5, Duration.ofMillis(50), Duration.ofMillis(3));
        return new Retrier(quick, TransientErrors.defaults());
    }

}
