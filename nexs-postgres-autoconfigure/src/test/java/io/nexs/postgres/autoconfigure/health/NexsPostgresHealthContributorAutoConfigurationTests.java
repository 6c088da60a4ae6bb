package io.nexs.postgres.autoconfigure.health;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

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
import org.springframework.boot.health.actuate.endpoint.SimpleStatusAggregator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
    void reportsTheClusterAndEveryNodeWithStateRoleVersionLatencyAndPool() {
        this.contextRunner.run((context) -> {
            CompositeHealthContributor contributor = contributor(context);
            String name = "127.0.0.1:" + node.port();
            Health cluster = health(contributor, "cluster");
            assertThat(cluster.getStatus()).isEqualTo(Status.UP);
            assertThat(cluster.getDetails()).containsEntry("primary", name);
            Health health = health(contributor, name);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("address", name)
                .containsEntry("state", "healthy")
                .containsEntry("role", "primary")
                .containsEntry("writable", true)
                .containsKeys("version", "latencyMs", "timeline");
            assertThat(health.getDetails().get("latencyMs")).isInstanceOf(Double.class);
            assertThat(pool(health)).containsEntry("max", 2).containsKeys("active", "idle", "pending");
            assertThat(contributor.stream().map(HealthContributors.Entry::name)).containsExactly("cluster", name);
        });
    }

    @Test
    void reportsTheReplicaWithItsLagAndStaysUpWhenOnlyTheReplicaIsLost(
            @ClusterSpec(standbys = 1) PostgresCluster cluster) {
        PostgresNode primary = cluster.primary();
        PostgresNode standby = cluster.standbys().get(0);
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:" + primary.port() + ",127.0.0.1:"
                    + standby.port() + "/postgres", "nexs.postgres.failover.health-check-interval=200ms",
                    "nexs.postgres.failover.health-check-timeout=500ms")
            .run((context) -> {
                CompositeHealthContributor contributor = contributor(context);
                String standbyName = "127.0.0.1:" + standby.port();
                Health replica = health(contributor, standbyName);
                assertThat(replica.getStatus()).isEqualTo(Status.UP);
                assertThat(replica.getDetails()).containsEntry("role", "replica")
                    .containsEntry("writable", false)
                    .containsKeys("lagMs", "lagBytes");
                assertThat(health(contributor, "cluster").getDetails()).containsEntry("replicas",
                        List.of(standbyName));
                standby.stop();
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> health(contributor, standbyName).getStatus().equals(NodeHealthIndicator.DEGRADED));
                assertThat(health(contributor, standbyName).getDetails()).containsEntry("state", "unhealthy")
                    .containsKey("lastError");
                assertThat(health(contributor, "cluster").getStatus()).isEqualTo(Status.UP);
                assertThat(aggregate(contributor)).as("a lost replica does not take the application down")
                    .isEqualTo(Status.UP);
            });
    }

    @Test
    void saysWhyAReplicaServesNoReads() {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start()) {
            PostgresNode standby = cluster.standbys().get(0);
            // without its primary among the nodes, how far the standby trails cannot be measured
            this.contextRunner
                .withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:" + standby.port() + "/postgres",
                        "nexs.postgres.replicas.max-lag=1s")
                .run((context) -> {
                    CompositeHealthContributor contributor = contributor(context);
                    String standbyName = "127.0.0.1:" + standby.port();
                    Health replica = health(contributor, standbyName);
                    assertThat(replica.getStatus()).isEqualTo(NodeHealthIndicator.DEGRADED);
                    assertThat(replica.getDetails()).containsEntry("state", "healthy")
                        .containsEntry("role", "replica")
                        .containsEntry("readsWithheld", "replay lag not measured yet")
                        .doesNotContainKeys("lagMs", "stale");
                    assertThat(health(contributor, "cluster").getDetails())
                        .containsEntry("replicas", List.of())
                        .containsEntry("notServing", List.of(standbyName + " (no reads: replay lag not measured yet)"));
                });
        }
    }

    @Test
    void reportsDownWhenNoNodeCanBeReached() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/postgres",
                    "nexs.postgres.pool.fail-fast=false", "nexs.postgres.pool.connection-timeout=300ms",
                    "nexs.postgres.pool.validation-timeout=250ms")
            .run((context) -> {
                CompositeHealthContributor contributor = contributor(context);
                Health health = health(contributor, "127.0.0.1:1");
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails()).containsEntry("role", "unknown")
                    .containsEntry("state", "unhealthy")
                    .containsKey("lastError");
                Health cluster = health(contributor, "cluster");
                assertThat(cluster.getStatus()).isEqualTo(Status.DOWN);
                assertThat(cluster.getDetails()).containsEntry("primary", "none");
                assertThat(aggregate(contributor)).isEqualTo(Status.DOWN);
            });
    }

    @Test
    void reportsDownWithinTheMonitorsTimeoutsWhenTheServerHangsAndAnswersAtOnce() {
        try (PostgresNode hanging = PostgresNode.start()) {
            this.contextRunner
                .withPropertyValues("nexs.postgres.url=" + hanging.jdbcUrl(), "nexs.postgres.pool.max-size=1",
                        "nexs.postgres.failover.health-check-interval=200ms",
                        "nexs.postgres.failover.health-check-timeout=500ms")
                .run((context) -> {
                    CompositeHealthContributor contributor = contributor(context);
                    String name = "127.0.0.1:" + hanging.port();
                    assertThat(health(contributor, name).getStatus()).isEqualTo(Status.UP);
                    hanging.hang();
                    try {
                        long start = System.nanoTime();
                        await().atMost(Duration.ofSeconds(5))
                            .until(() -> health(contributor, "cluster").getStatus().equals(Status.DOWN));
                        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
                        long asked = System.nanoTime();
                        assertThat(health(contributor, name).getStatus()).isEqualTo(Status.DOWN);
                        assertThat(Duration.ofNanos(System.nanoTime() - asked))
                            .as("health reads the monitor's verdict and never waits on the server")
                            .isLessThan(Duration.ofMillis(200));
                    }
                    finally {
                        hanging.resume();
                    }
                });
        }
    }

    @Test
    void staysUpWhenThePoolIsExhaustedAndShowsIt() {
        this.contextRunner.withPropertyValues("nexs.postgres.pool.max-size=1", "nexs.postgres.pool.validation-timeout=1s")
            .run((context) -> {
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                CompositeHealthContributor contributor = contributor(context);
                try (Connection held = provider.primary().dataSource().getConnection()) {
                    Health health = health(contributor, provider.primary().name());
                    assertThat(health.getStatus()).as("a busy pool is not a failed server").isEqualTo(Status.UP);
                    assertThat(pool(health)).containsEntry("active", 1).containsEntry("max", 1);
                }
            });
    }

    private static CompositeHealthContributor contributor(AssertableApplicationContext context) {
        return context.getBean("nexsPostgresHealthContributor", CompositeHealthContributor.class);
    }

    private static Health health(CompositeHealthContributor contributor, String name) {
        return ((HealthIndicator) contributor.getContributor(name)).health(true);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Integer> pool(Health health) {
        return (Map<String, Integer>) health.getDetails().get("pool");
    }

    private static Status aggregate(CompositeHealthContributor contributor) {
        Set<Status> statuses = contributor.stream()
            .map((entry) -> ((HealthIndicator) entry.contributor()).health(false).getStatus())
            .collect(Collectors.toSet());
        return new SimpleStatusAggregator().getAggregateStatus(statuses);
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
