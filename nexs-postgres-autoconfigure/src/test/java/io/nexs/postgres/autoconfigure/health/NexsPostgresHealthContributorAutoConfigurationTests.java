package io.nexs.postgres.autoconfigure.health;

import java.util.Map;

import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(PostgresExtension.class)
class NexsPostgresHealthContributorAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresHealthContributorAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void reportsEveryNodeWithRoleVersionLatencyAndPool() {
        this.contextRunner.run((context) -> {
            CompositeHealthContributor contributor = context.getBean("nexsPostgresHealthContributor",
                    CompositeHealthContributor.class);
            String name = "127.0.0.1:" + node.port();
            Health health = ((HealthIndicator) contributor.getContributor(name)).health(true);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("address", name)
                .containsEntry("role", "primary")
                .containsKeys("version", "latencyMs");
            assertThat(health.getDetails().get("latencyMs")).isInstanceOf(Double.class);
            @SuppressWarnings("unchecked")
            Map<String, Integer> pool = (Map<String, Integer>) health.getDetails().get("pool");
            assertThat(pool).containsEntry("max", 2).containsKeys("active", "idle", "pending");
        });
    }

    @Test
    void reportsDownWithTheLastKnownRoleWhenTheNodeCannotBeReached() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/postgres",
                    "nexs.postgres.pool.fail-fast=false", "nexs.postgres.pool.connection-timeout=300ms",
                    "nexs.postgres.pool.validation-timeout=250ms")
            .run((context) -> {
                CompositeHealthContributor contributor = context.getBean(CompositeHealthContributor.class);
                Health health = ((HealthIndicator) contributor.getContributor("127.0.0.1:1")).health(true);
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails()).containsEntry("role", "unknown").containsKey("error");
            });
    }

    @Test
    void canBeSwitchedOff() {
        this.contextRunner.withPropertyValues("management.health.nexs-postgres.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("nexsPostgresHealthContributor"));
    }

    @Test
    void backsOffWithoutAProvider() {
        this.contextRunner.withPropertyValues("nexs.postgres.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean("nexsPostgresHealthContributor"));
    }

}
