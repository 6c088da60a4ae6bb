package io.nexs.postgres.autoconfigure.health;

import java.sql.Connection;
import java.time.Duration;
import java.util.Map;

import io.nexs.postgres.PostgresProvider;

import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith({ PostgresExtension.class, OutputCaptureExtension.class })
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
    void reportsAStandbyAsAReplica(@ClusterSpec(standbys = 1) PostgresCluster cluster, CapturedOutput output) {
        PostgresNode standby = cluster.standbys().get(0);
        this.contextRunner.withPropertyValues("nexs.postgres.url=" + standby.jdbcUrl()).run((context) -> {
            CompositeHealthContributor contributor = context.getBean(CompositeHealthContributor.class);
            Health health = ((HealthIndicator) contributor.getContributor("127.0.0.1:" + standby.port()))
                .health(true);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("role", "replica");
            assertThat(output).contains("PostgreSQL at 127.0.0.1:" + standby.port()
                    + " is a replica (in recovery): reads work, writes will fail");
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
    void reportsDownWithinTheValidationTimeoutWhenTheServerHangs() {
        try (PostgresNode hanging = PostgresNode.start()) {
            this.contextRunner
                .withPropertyValues("nexs.postgres.url=" + hanging.jdbcUrl(), "nexs.postgres.pool.max-size=1",
                        "nexs.postgres.pool.validation-timeout=1s")
                .run((context) -> {
                    CompositeHealthContributor contributor = context.getBean(CompositeHealthContributor.class);
                    HealthIndicator indicator = (HealthIndicator) contributor
                        .getContributor("127.0.0.1:" + hanging.port());
                    assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
                    hanging.hang();
                    try {
                        long start = System.nanoTime();
                        Health health = indicator.health(true);
                        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                    }
                    finally {
                        hanging.resume();
                    }
                });
        }
    }

    @Test
    void reportsDownInsteadOfWaitingWhenThePoolIsExhausted() {
        this.contextRunner.withPropertyValues("nexs.postgres.pool.max-size=1", "nexs.postgres.pool.validation-timeout=1s")
            .run((context) -> {
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                HealthIndicator indicator = (HealthIndicator) context.getBean(CompositeHealthContributor.class)
                    .getContributor(provider.primary().name());
                try (Connection held = provider.dataSource().getConnection()) {
                    Health health = indicator.health(true);
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    @SuppressWarnings("unchecked")
                    Map<String, Integer> pool = (Map<String, Integer>) health.getDetails().get("pool");
                    assertThat(pool).containsEntry("active", 1).containsEntry("max", 1);
                }
                assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
            });
    }

    @Test
    void backsOffWhenTheUserDefinesTheContributor() {
        HealthIndicator own = () -> Health.up().build();
        this.contextRunner.withBean("nexsPostgresHealthContributor", HealthIndicator.class, () -> own)
            .run((context) -> assertThat(context).getBean("nexsPostgresHealthContributor").isSameAs(own));
    }

    @Test
    void backsOffWithoutSpringBootHealth() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(HealthContributor.class))
            .run((context) -> assertThat(context).doesNotHaveBean("nexsPostgresHealthContributor"));
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
