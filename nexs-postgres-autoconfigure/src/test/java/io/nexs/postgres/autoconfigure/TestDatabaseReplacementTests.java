package io.nexs.postgres.autoconfigure;

import java.sql.Connection;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureJdbc;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A test slice that puts an embedded database in place of the application's ({@code @AutoConfigureTestDatabase}
 * with Spring Boot's default {@code NON_TEST}, or {@code ANY}) runs on that database and opens no pool to the
 * servers the application is configured with, which a test machine often cannot reach; one that keeps the
 * application's database runs on the cluster.
 */
@ExtendWith(PostgresExtension.class)
class TestDatabaseReplacementTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withUserConfiguration(TestWithATestDatabase.class);

    @Test
    void aTestThatReplacesTheDataSourceNeverReachesForTheConfiguredServers() {
        // nothing listens on port 1: connecting would fail start-up, as warm-up fails fast
        this.contextRunner.withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/orders")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                try (Connection connection = context.getBean(DataSource.class).getConnection()) {
                    assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo("H2");
                }
                assertThat(context.getBeanFactory().containsSingleton("postgresProvider"))
                    .as("the provider was not created").isFalse();
            });
    }

    @Test
    void aJdbcSliceOnATestDatabaseGetsSpringsPlainTransactionManagerAndOpensNoPool() {
        new ApplicationContextRunner().withUserConfiguration(JdbcTestWithATestDatabase.class)
            .withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/orders")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(TransactionManager.class)).isExactlyInstanceOf(JdbcTransactionManager.class);
                assertThat(context.getBeanFactory().containsSingleton("postgresProvider"))
                    .as("the provider was not created").isFalse();
            });
    }

    @Test
    void anApplicationBeanThatAsksForTheProviderStillGetsIt(PostgresNode node) {
        this.contextRunner.withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(),
                "nexs.postgres.username=" + node.username(), "nexs.postgres.pool.max-size=1")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(PostgresProvider.class).queryCount("select 3")).isEqualTo(3);
            });
    }

    @Test
    void keepingTheApplicationsDatabaseKeepsTheRoutedDataSource(PostgresNode node) {
        this.contextRunner
            .withPropertyValues("spring.test.database.replace=none", "nexs.postgres.url=" + node.jdbcUrl(),
                    "nexs.postgres.username=" + node.username(), "nexs.postgres.pool.max-size=1")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(DataSource.class))
                    .isSameAs(context.getBean(PostgresProvider.class).dataSource());
            });
    }

    /** What a test slice brings: Spring Boot's test database support, and what its imports list, ours included. */
    @Configuration(proxyBeanMethods = false)
    @AutoConfigureTestDatabase
    static class TestWithATestDatabase {

    }

    /** What {@code @JdbcTest} brings: the test database, and the JDBC auto-configurations with ours. */
    @Configuration(proxyBeanMethods = false)
    @AutoConfigureTestDatabase
    @AutoConfigureJdbc
    static class JdbcTestWithATestDatabase {

    }

}
