package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.nexs.postgres.topology.ReadRoutingTests.port;
import static io.nexs.postgres.topology.ReadRoutingTests.provider;
import static io.nexs.postgres.topology.ReadRoutingTests.readsPerNode;
import static io.nexs.postgres.topology.ReadRoutingTests.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

/**
 * Taking nodes of a real cluster (a primary and two standbys) out of service and back: maintenance and drain of a
 * replica, every node down and up again, a replica removed and added again.
 */
@ExtendWith(PostgresExtension.class)
class MaintenanceTests {

    private static final Duration AWAIT = Duration.ofSeconds(20);

    @AfterEach
    void restartStoppedNodes(@ClusterSpec(standbys = 2) PostgresCluster cluster) {
        // a failed outage test must not leave the next tests of the class without servers; primary first
        for (PostgresNode node : cluster.nodes()) {
            if (!node.isRunning()) {
                node.restart();
            }
        }
    }

    @Test
    void drainingAReplicaWaitsForItsBorrowedConnectionAndMaintenanceKeepsReadsAwayUntilItResumes(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) throws Exception {
        int standby1Port = cluster.standbys().get(0).port();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            ClusterTopology topology = provider.topology();
            NodePool pool = topology.node("standby1").pool();
            Future<Boolean> drained;
            Connection borrowed = readConnectionTo(topology, standby1Port);
            try {
                assertThat(topology.drain("standby1", Duration.ofMillis(300))).isFalse();
                assertThat(topology.node("standby1").state()).isEqualTo(NodeState.MAINTENANCE);
                assertThat(pool.stats().active()).isOne();
                assertThat(readsPerNode(provider, cluster, 20)).containsOnly(entry("standby2", 20));
                // a connection borrowed before the maintenance carries on
                assertThat(port(borrowed)).isEqualTo(standby1Port);
                drained = executor.submit(() -> topology.drain("standby1", Duration.ofSeconds(10)));
                await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !drained.isDone());
            }
            finally {
                borrowed.close();
            }
            assertThat(drained.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(pool.stats().active()).isZero();
            assertThat(topology.drain("standby1", Duration.ZERO)).isTrue();
            assertThat(readsPerNode(provider, cluster, 20)).containsOnly(entry("standby2", 20));
            assertThat(topology.node("standby1").state()).isEqualTo(NodeState.MAINTENANCE);

            topology.resume("standby1");
            assertThat(topology.node("standby1").state()).isEqualTo(NodeState.HEALTHY);
            assertThat(readsPerNode(provider, cluster, 20)).containsOnly(entry("standby1", 10), entry("standby2", 10));
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    void whenEveryNodeIsDownWritesFailAfterTheWriteWaitAndRoutingRecoversOnceTheNodesAreBack(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        Duration writeWait = Duration.ofSeconds(1);
        try (DefaultPostgresProvider provider = provider(
                Topologies.start(cluster, settings(LoadBalancing.ROUND_ROBIN, null, writeWait)))) {
            ClusterTopology topology = provider.topology();
            provider.exec("create table if not exists outage_probe (id int)");
            for (PostgresNode node : cluster.nodes()) {
                node.stop();
            }
            await().atMost(AWAIT).untilAsserted(() -> assertThat(topology.nodes()).extracting(ClusterNode::state)
                .containsOnly(NodeState.UNHEALTHY));
            assertThat(topology.primary()).isEmpty();

            long start = System.nanoTime();
            assertThatExceptionOfType(FailoverInProgressException.class)
                .isThrownBy(() -> provider.exec("insert into outage_probe values (1)"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(writeWait.minusMillis(100),
                    writeWait.plusSeconds(3));
            // with no replica, reads fall back to the primary and fail the same way
            assertThatExceptionOfType(FailoverInProgressException.class)
                .isThrownBy(() -> provider.queryCount("select inet_server_port()"));

            for (PostgresNode node : cluster.nodes()) {
                node.restart();
            }
            await().atMost(AWAIT).untilAsserted(() -> assertThat(topology.primary())
                .hasValueSatisfying((primary) -> assertThat(primary.name()).isEqualTo("primary")));
            assertThat(provider.exec("insert into outage_probe values (1)")).isOne();
            await().atMost(AWAIT).untilAsserted(() -> assertThat(readsPerNode(provider, cluster, 10))
                .containsOnlyKeys("standby1", "standby2"));
            assertThat(topology.nodes()).extracting(ClusterNode::state).containsOnly(NodeState.HEALTHY);
        }
    }

    @Test
    void aRemovedReplicaGetsNoReadsAndItsPoolIsClosedUntilItIsAddedAgain(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            ClusterTopology topology = provider.topology();
            NodePool removedPool = topology.node("standby2").pool();
            topology.removeNode("standby2");
            assertThat(topology.nodes()).extracting(ClusterNode::name).containsExactly("primary", "standby1");
            assertThat(topology.health()).extracting(NodeHealth::name).containsExactly("primary", "standby1");
            assertThat(removedPool.dataSource()).isInstanceOfSatisfying(HikariDataSource.class,
                    (dataSource) -> assertThat(dataSource.isClosed()).isTrue());
            assertThatExceptionOfType(SQLException.class).isThrownBy(() -> removedPool.dataSource().getConnection());
            assertThat(readsPerNode(provider, cluster, 20)).containsOnly(entry("standby1", 20));

            ClusterNode added = topology.addNode(Topologies.definition(cluster.standbys().get(1)));
            assertThat(added.state()).isEqualTo(NodeState.HEALTHY);
            assertThat(added.role()).isEqualTo(NodeRole.REPLICA);
            assertThat(added.pool()).isNotSameAs(removedPool);
            assertThat(topology.nodes()).extracting(ClusterNode::name)
                .containsExactly("primary", "standby1", "standby2");
            assertThat(readsPerNode(provider, cluster, 20)).containsOnly(entry("standby1", 10), entry("standby2", 10));
        }
    }

    /** Borrows read connections until one goes to the node on that port, returning the others. */
    private static Connection readConnectionTo(ClusterTopology topology, int port) throws SQLException {
        List<Connection> others = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                Connection connection = topology.readConnection(ReadPreference.SECONDARY);
                if (port(connection) == port) {
                    return connection;
                }
                others.add(connection);
            }
            throw new IllegalStateException("No read connection went to port " + port);
        }
        finally {
            for (Connection other : others) {
                other.close();
            }
        }
    }

}
