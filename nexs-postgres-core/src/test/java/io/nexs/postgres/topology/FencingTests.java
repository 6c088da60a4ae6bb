package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import org.junit.jupiter.api.Test;

import org.springframework.dao.DataAccessException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Sessions opened on a primary must stop writing there once writes move to a newer primary, an old primary that
 * comes back as a replica serves reads again, and a session lost on a healthy node is not passed off as a
 * failover.
 */
class FencingTests {

    @Test
    void aTransactionOpenOnThePrimaryCannotCommitThereOnceAStandbyIsPromoted() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).durable(false).start();
                ClusterTopology topology = Topologies.start(cluster, Topologies.fast())) {
            PostgresNode oldPrimary = cluster.primary();
            try (Connection setup = oldPrimary.connect(); Statement statement = setup.createStatement()) {
                statement.execute("create table fenced (id int)");
            }
            cluster.awaitReplay(Duration.ofSeconds(10));
            try (Connection held = topology.primaryConnection()) {
                held.setAutoCommit(false);
                try (Statement statement = held.createStatement()) {
                    statement.execute("insert into fenced values (1)");
                }
                cluster.standbys().get(0).promote();
                await().atMost(Duration.ofSeconds(5)).until(() -> topology.primary()
                    .map((node) -> node.name().equals("standby1"))
                    .orElse(false));
                // the old primary still runs and still claims primary: only fencing keeps the session off it
                assertThatThrownBy(() -> {
                    try (Statement statement = held.createStatement()) {
                        statement.execute("insert into fenced values (2)");
                    }
                    held.commit();
                }).isInstanceOf(SQLException.class);
            }
            try (Connection direct = oldPrimary.connect(); Statement statement = direct.createStatement();
                    ResultSet rows = statement.executeQuery("select count(*) from fenced")) {
                rows.next();
                assertThat(rows.getInt(1)).as("nothing committed on the displaced primary").isZero();
            }
            assertThat(topology.health()).filteredOn((node) -> node.name().equals("primary"))
                .singleElement()
                .satisfies((node) -> assertThat(node.writable()).isFalse());
        }
    }

    @Test
    void listenMovesToTheNewPrimaryWhenWritesLeaveAPrimaryThatStillRuns() {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).durable(false).start();
                DefaultPostgresProvider provider = new DefaultPostgresProvider(
                        Topologies.start(cluster, Topologies.fast()), new RowMappers(UnmappedColumns.IGNORE, null),
                        100);
                NotificationListenerContainer container = new NotificationListenerContainer(
                        () -> provider.primary().openConnection())) {
            container.start();
            List<String> received = new CopyOnWriteArrayList<>();
            container.listen("fencing", (notification) -> received.add(notification.payload()));
            provider.notify("fencing", "before");
            await().atMost(Duration.ofSeconds(5)).until(() -> received.contains("before"));
            cluster.standbys().get(0).promote();
            await().atMost(Duration.ofSeconds(5)).until(() -> provider.topology()
                .primary()
                .map((node) -> node.name().equals("standby1"))
                .orElse(false));
            // the old primary still runs: only fencing its connections moves LISTEN to the new one
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                provider.notify("fencing", "after");
                assertThat(received).contains("after");
            });
        }
    }

    @Test
    void anOldPrimaryThatComesBackAsAReplicaRejoinsAsAReplica() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(2).durable(false).start();
                TcpProxy oldPrimaryAddress = TcpProxy.forNode(cluster.primary());
                DefaultPostgresProvider provider = new DefaultPostgresProvider(
                        Topologies.start(List.of(Topologies.definition(cluster.primary(), oldPrimaryAddress),
                                Topologies.definition(cluster.standbys().get(0))), Topologies.fast()),
                        new RowMappers(UnmappedColumns.IGNORE, null), 100)) {
            PostgresNode newPrimary = cluster.standbys().get(0);
            PostgresNode rebuilt = cluster.standbys().get(1);
            cluster.primary().crash();
            newPrimary.promote();
            await().atMost(Duration.ofSeconds(5)).until(() -> provider.topology()
                .primary()
                .map((node) -> node.name().equals("standby1"))
                .orElse(false));
            // The old primary's address now leads to a server in recovery that follows the new primary, as after the
            // cluster manager rebuilt it as a replica of the new primary.
            Topologies.follow(rebuilt, newPrimary);
            oldPrimaryAddress.retarget(rebuilt);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                ClusterNode old = provider.topology().node("primary");
                assertThat(old.state()).isEqualTo(NodeState.HEALTHY);
                assertThat(old.role()).isEqualTo(NodeRole.REPLICA);
                assertThat(old.snapshot().stale()).as("follows the new timeline").isFalse();
            });
            assertThat(provider.withReadPreference(ReadPreference.SECONDARY).queryCount("select inet_server_port()"))
                .as("reads reach the rejoined replica")
                .isEqualTo(rebuilt.port());
            assertThat(provider.topology().primary()).hasValueSatisfying(
                    (node) -> assertThat(node.name()).isEqualTo("standby1"));
        }
    }

    @Test
    void aTerminatedSessionOnAHealthyReplicaIsAnOrdinaryErrorNotAFailover() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).durable(false).start();
                DefaultPostgresProvider provider = new DefaultPostgresProvider(
                        Topologies.start(cluster, Topologies.fast()), new RowMappers(UnmappedColumns.IGNORE, null),
                        1)) {
            PostgresNode standby = cluster.standbys().get(0);
            try (Stream<Integer> rows = provider.stream("select g from generate_series(1, 10) g",
                    (rs, rowNum) -> rs.getInt(1))) {
                Iterator<Integer> iterator = rows.iterator();
                assertThat(iterator.next()).isEqualTo(1);
                try (Connection direct = standby.connect(); Statement statement = direct.createStatement()) {
                    statement.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                            + "where application_name = 'nexs-postgres-tests' and state like 'idle in transaction%'");
                }
                assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> {
                    while (iterator.hasNext()) {
                        iterator.next();
                    }
                }).isNotInstanceOf(FailoverInProgressException.class);
            }
            assertThat(provider.topology().node("standby1").state()).isEqualTo(NodeState.HEALTHY);
        }
    }

}
