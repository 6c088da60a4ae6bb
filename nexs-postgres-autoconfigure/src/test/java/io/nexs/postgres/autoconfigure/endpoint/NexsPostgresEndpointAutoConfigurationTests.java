package io.nexs.postgres.autoconfigure.endpoint;

import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.endpoint.NexsPostgresEndpoint.Report;
import io.nexs.postgres.autoconfigure.endpoint.NexsPostgresEndpoint.Statement;
import io.nexs.postgres.observe.RecentActivity;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code nexspostgres} endpoint: absent unless exposed, and when exposed a report of the node, its pool,
 * retries, hooks and the slowest recent statements without their values.
 */
@ExtendWith(PostgresExtension.class)
class NexsPostgresEndpointAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresEndpointAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=4", "nexs.postgres.pool.min-idle=1");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void isNotThereUnlessExposed() {
        this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(NexsPostgresEndpoint.class)
            .doesNotHaveBean(RecentActivity.class));
    }

    @Test
    void reportsTheNodeItsPoolAndTheSlowestStatementsWithoutValues() {
        this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=nexspostgres")
            .run((context) -> {
                PostgresOperations postgres = context.getBean(PostgresOperations.class);
                postgres.queryCount("/* name: slow.one */ select count(*) from pg_sleep(0.05)");
                postgres.queryCount("select count(*) from pg_class where relname = 'secret-value'");
                String name = context.getBean(PostgresProvider.class).primary().name();

                Report report = context.getBean(NexsPostgresEndpoint.class).report();
                assertThat(report.primary()).isEqualTo(name);
                assertThat(report.splitBrain()).isFalse();
                assertThat(report.nodes()).singleElement().satisfies((reported) -> {
                    assertThat(reported.name()).isEqualTo(name);
                    assertThat(reported.role()).isEqualTo("primary");
                    assertThat(reported.state()).isEqualTo("healthy");
                    assertThat(reported.writable()).isTrue();
                    assertThat(reported.pool()).isNotNull();
                    assertThat(reported.pool().max()).isEqualTo(4);
                });
                assertThat(report.failovers()).isEmpty();
                assertThat(report.retries()).isNotNull();
                assertThat(report.slowestStatements()).first().satisfies((slowest) -> {
                    assertThat(slowest.statement()).isEqualTo("slow.one");
                    assertThat(slowest.durationMs()).isGreaterThanOrEqualTo(50);
                    assertThat(slowest.node()).isEqualTo(name);
                });
                assertThat(report.slowestStatements()).extracting(Statement::statement)
                    .contains("select count(*) from pg_class where relname = ?")
                    .noneMatch((text) -> text.contains("secret"));
            });
    }

}
