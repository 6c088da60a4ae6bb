package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A primary that is busy, not failing: its CPU saturated by more CPU-bound sessions than the machine has cores, and
 * every connection of the pool held by a long statement. With the default check settings the monitor must keep
 * finding it healthy: its checks run on a connection of their own and take a few milliseconds of CPU, and a borrower
 * waiting for a free connection says nothing about the server.
 */
class OverloadedPrimaryTests {

    /** CPU-bound, without temporary files: the set-returning function in the select list streams its rows. */
    private static final String BURN = "select count(*) from (select generate_series(1, 1000000000)) s";

    /** Waits for the test's own lock: the pool's connections stay busy until the test lets them go. */
    private static final String HOLD = "select pg_advisory_xact_lock_shared(17)";

    private static final int POOL_SIZE = 3;

    @Test
    void aSaturatedPrimaryWithAnExhaustedPoolStaysHealthyAndTheWriteWaitingForAConnectionSucceeds() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(0).start();
                DefaultPostgresProvider provider = FailoverTests.provider(
                        Topologies.start(cluster, TopologySettings.defaults()))) {
            PostgresNode primary = cluster.primary();
            ClusterTopology topology = provider.topology();
            List<TopologyEvent> events = new CopyOnWriteArrayList<>();
            topology.addListener(events::add);
            provider.exec("create table items (id int)");
            int burners = 2 * Runtime.getRuntime().availableProcessors() + 1;
            List<Connection> sessions = new ArrayList<>();
            ExecutorService threads = Executors.newCachedThreadPool();
            Connection gate = primary.connect();
            try (Statement lock = gate.createStatement()) {
                lock.execute("select pg_advisory_lock(17)");
                for (int i = 0; i < burners; i++) {
                    Connection session = primary.connect();
                    sessions.add(session);
                    try (Statement statement = session.createStatement()) {
                        statement.execute("set max_parallel_workers_per_gather = 0");
                        statement.execute("set statement_timeout = '15s'");
                    }
                    threads.execute(() -> run(session, BURN));
                }
                for (int i = 0; i < POOL_SIZE; i++) {
                    threads.execute(() -> {
                        try (Connection connection = topology.primaryConnection()) {
                            run(connection, HOLD);
                        }
                        catch (SQLException ex) {
                            throw new IllegalStateException(ex);
                        }
                    });
                }
                await().atMost(Duration.ofSeconds(5))
                    .until(() -> running(primary, BURN) == burners && running(primary, HOLD) == POOL_SIZE);
                Instant saturated = Instant.now();
                CompletableFuture<Integer> write = CompletableFuture
                    .supplyAsync(() -> provider.exec("insert into items values (1)"), threads);

                // six check intervals and more with the CPU saturated and the pool exhausted
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(10))
                    .until(() -> events.isEmpty() && topology.node("primary").state() == NodeState.HEALTHY
                            && topology.primary().isPresent());
                NodeSnapshot snapshot = topology.node("primary").snapshot();
                assertThat(snapshot.consecutiveFailures()).isZero();
                assertThat(snapshot.lastChecked()).isAfter(saturated.plusSeconds(1));
                assertThat(running(primary, BURN)).isEqualTo(burners);
                assertThat(write).isNotDone();

                // the holders let go: the write that waited for a connection goes through
                lock.execute("select pg_advisory_unlock(17)");
                assertThat(write.get(10, TimeUnit.SECONDS)).isOne();
                assertThat(events).isEmpty();
                assertThat(topology.node("primary").state()).isEqualTo(NodeState.HEALTHY);
            }
            finally {
                try (PreparedStatement cancel = gate.prepareStatement(
                        "select pg_cancel_backend(pid) from pg_stat_activity where query = ?")) {
                    cancel.setString(1, BURN);
                    cancel.execute();
                }
                gate.close();
                for (Connection session : sessions) {
                    session.abort(Runnable::run);
                }
                threads.shutdownNow();
            }
        }
    }

    private static void run(Connection connection, String sql) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            // the burners are cut at the end
        }
    }

    private static int running(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = node.connect(); PreparedStatement statement = connection.prepareStatement(
                "select count(*) from pg_stat_activity where state = 'active' and query = ?")) {
            statement.setString(1, sql);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

}
