package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.nexs.postgres.topology.ReadRoutingTests.execute;
import static io.nexs.postgres.topology.ReadRoutingTests.health;
import static io.nexs.postgres.topology.ReadRoutingTests.provider;
import static io.nexs.postgres.topology.ReadRoutingTests.readsPerNode;
import static io.nexs.postgres.topology.ReadRoutingTests.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Reads go only to replicas known to be fresh, from the first read on: a replica that fell behind before the
 * topology started, one whose lag cannot be measured yet, and one left on the old timeline by a promotion serve
 * none. Real streaming replication, a primary and two standbys.
 */
@ExtendWith(PostgresExtension.class)
class ReplicaFreshnessTests {

    private static final Duration MAX_LAG = Duration.ofSeconds(1);

    private static final Duration AWAIT = Duration.ofSeconds(15);

    @AfterEach
    void resumeReplay(@ClusterSpec(standbys = 2) PostgresCluster cluster) throws SQLException {
        for (PostgresNode standby : cluster.standbys()) {
            execute(standby, "select pg_wal_replay_resume()");
        }
    }

    @Test
    void aReplicaThatFellBehindBeforeTheTopologyStartedServesNoReadFromTheFirstOne(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) throws SQLException {
        PostgresNode lagging = cluster.standbys().get(0);
        execute(cluster.primary(), "create table if not exists behind_probe (id int)");
        execute(cluster.primary(), "insert into behind_probe values (0)");
        cluster.awaitReplay(AWAIT);
        execute(lagging, "select pg_wal_replay_pause()");
        execute(cluster.primary(), "insert into behind_probe values (1)");
        // its last replayed commit is now older than the lag limit, and the row inserted since is missing there
        await().atMost(AWAIT).until(() -> isTrue(lagging,
                "select clock_timestamp() - pg_last_xact_replay_timestamp() > interval '1500 ms'"));
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster,
                settings(LoadBalancing.ROUND_ROBIN, MAX_LAG, Duration.ofSeconds(10))))) {
            ClusterTopology topology = provider.topology();
            assertThat(readsPerNode(provider, cluster, 20)).doesNotContainKey("standby1");
            assertThat(health(topology, "standby1")).satisfies((health) -> {
                assertThat(health.state()).isEqualTo(NodeState.HEALTHY);
                assertThat(health.replayLag()).isGreaterThan(Duration.ofMillis(1500));
                assertThat(health.readsWithheld()).isEqualTo("replay lag above max-lag (1000 ms)");
            });
            // the other standby has replayed everything: it serves as soon as its lag is measured
            await().atMost(AWAIT).untilAsserted(() -> assertThat(readsPerNode(provider, cluster, 10))
                .containsOnlyKeys("standby2"));
            assertThat(provider.queryCount("select count(*) from behind_probe where id = 1")).isOne();
            execute(lagging, "select pg_wal_replay_resume()");
            await().atMost(AWAIT).untilAsserted(() -> {
                assertThat(health(topology, "standby1").readsWithheld()).isNull();
                assertThat(readsPerNode(provider, cluster, 10)).containsKey("standby1");
            });
        }
    }

    @Test
    void aReplicaWhoseLagCannotBeMeasuredServesNoReadsUnderALagLimitUntilItIs(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        // without the primary, nothing tells how far the standbys trail it
        List<NodeDefinition> standbys = cluster.standbys().stream().map(Topologies::definition).toList();
        try (DefaultPostgresProvider provider = provider(Topologies.start(standbys,
                settings(LoadBalancing.ROUND_ROBIN, MAX_LAG, Duration.ofSeconds(10))))) {
            ClusterTopology topology = provider.topology();
            PostgresOperations secondary = provider.withReadPreference(ReadPreference.SECONDARY);
            assertThat(health(topology, "standby1").replayLag()).isNull();
            assertThat(health(topology, "standby1").readsWithheld()).isEqualTo("replay lag not measured yet");
            assertThatExceptionOfType(ReplicaUnavailableException.class)
                .isThrownBy(() -> secondary.queryCount("select 1"))
                .withMessageContaining("replay lag not measured yet");
            topology.addNode(Topologies.definition(cluster.primary()));
            await().atMost(AWAIT).ignoreExceptionsInstanceOf(ReplicaUnavailableException.class)
                .untilAsserted(() -> assertThat(readsPerNode(secondary, cluster, 4))
                .containsOnlyKeys("standby1", "standby2"));
            assertThat(health(topology, "standby1").replayLag()).isNotNull();
        }
        try (DefaultPostgresProvider provider = provider(Topologies.start(standbys, Topologies.fast()))) {
            // without a lag limit, nothing changes: a replica of unknown lag serves
            assertThat(health(provider.topology(), "standby1").replayLag()).isNull();
            assertThat(readsPerNode(provider.withReadPreference(ReadPreference.SECONDARY), cluster, 4))
                .containsOnlyKeys("standby1", "standby2");
        }
    }

    @Test
    void aUserWhoMayNotSeeTheControlFileNorTheReceiverStillGetsRolesTimelinesOfPrimariesAndLag(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) throws SQLException {
        execute(cluster.primary(), "do $$ begin if not exists (select from pg_roles where rolname = 'plain_reader') "
                + "then create role plain_reader login; end if; end $$");
        execute(cluster.primary(), "revoke execute on function pg_control_checkpoint() from public");
        cluster.awaitReplay(AWAIT);
        List<NodeDefinition> definitions = cluster.nodes().stream().map(ReplicaFreshnessTests::asPlainReader).toList();
        try (DefaultPostgresProvider provider = provider(Topologies.start(definitions,
                settings(LoadBalancing.ROUND_ROBIN, MAX_LAG, Duration.ofSeconds(10))))) {
            ClusterTopology topology = provider.topology();
            assertThat(health(topology, "primary").timeline()).as("from the WAL file it writes").isOne();
            assertThat(health(topology, "standby1")).satisfies((health) -> {
                assertThat(health.role()).isEqualTo(NodeRole.REPLICA);
                assertThat(health.timeline()).as("streams, from a timeline it may not see").isZero();
                assertThat(health.stale()).isFalse();
            });
            await().atMost(AWAIT).untilAsserted(() -> {
                assertThat(health(topology, "standby1").replayLag()).isNotNull();
                assertThat(readsPerNode(provider, cluster, 4)).containsOnlyKeys("standby1", "standby2");
            });
        }
    }

    private static NodeDefinition asPlainReader(PostgresNode node) {
        NodeDefinition definition = Topologies.definition(node);
        ConnectionSettings connection = definition.connection();
        return new NodeDefinition(definition.name(), new ConnectionSettings(connection.address(),
                connection.jdbcUrl(), "plain_reader", null, connection.driverProperties()), definition.pool(),
                definition.weight(), definition.tags());
    }

    @Test
    void aReplicaLeftOnTheOldTimelineByAPromotionServesNoReadsUntilItFollowsTheNewPrimary() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(2).start();
                DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            PostgresNode promoted = cluster.standbys().get(0);
            PostgresNode left = cluster.standbys().get(1);
            ClusterTopology topology = provider.topology();
            provider.exec("create table ledger (id int)");
            provider.exec("insert into ledger values (1)");
            cluster.awaitReplay(AWAIT);
            assertThat(readsPerNode(provider, cluster, 4)).containsOnlyKeys("standby1", "standby2");

            cluster.primary().crash();
            promoted.promote();
            // standby2 still follows the crashed primary's timeline: its data stops where that primary's did
            await().atMost(AWAIT).until(() -> topology.primary().map((node) -> node.name().equals("standby1"))
                .orElse(false));
            assertThat(provider.exec("insert into ledger values (2)")).isOne();
            assertThat(readsPerNode(provider, cluster, 20)).containsOnlyKeys("standby1");
            assertThat(health(topology, "standby2")).satisfies((health) -> {
                assertThat(health.state()).isEqualTo(NodeState.HEALTHY);
                assertThat(health.role()).isEqualTo(NodeRole.REPLICA);
                assertThat(health.stale()).isTrue();
                assertThat(health.timeline()).isOne();
                assertThat(health.readsWithheld()).isEqualTo("follows timeline 1, older than timeline 2 of the "
                        + "newest primary");
            });

            // a topology that starts now, with a lag limit, does not take it for fresh either
            try (DefaultPostgresProvider limited = provider(Topologies.start(cluster,
                    settings(LoadBalancing.ROUND_ROBIN, MAX_LAG, Duration.ofSeconds(10))))) {
                assertThat(readsPerNode(limited, cluster, 20)).containsOnlyKeys("standby1");
                assertThat(health(limited.topology(), "standby2").stale()).isTrue();

                // pointed at the new primary, it follows timeline 2 at once (its restartpoint still says 1)
                Topologies.follow(left, promoted);
                for (DefaultPostgresProvider each : List.of(provider, limited)) {
                    await().atMost(AWAIT).untilAsserted(() -> {
                        assertThat(health(each.topology(), "standby2").timeline()).isEqualTo(2);
                        assertThat(health(each.topology(), "standby2").stale()).isFalse();
                        assertThat(readsPerNode(each, cluster, 4)).containsKey("standby2");
                    });
                }
            }
        }
    }

    private static boolean isTrue(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            return result.next() && result.getBoolean(1);
        }
    }

}
