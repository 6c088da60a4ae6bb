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
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Failover against real streaming replication: the primary is killed, the cluster manager's part (promoting a
 * standby, restarting the old primary) is played by the test. Every test starts a cluster of its own, since each
 * one breaks it. Hung and unreachable primaries are in {@link UnresponsivePrimaryFailoverTests}.
 */
class FailoverTests {

    private static final Logger logger = LoggerFactory.getLogger(FailoverTests.class);

    static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(10);

    /** Fast checks find a dead node in well under a second; this leaves room for a slow machine. */
    static final Duration DETECTION_TIMEOUT = Duration.ofSeconds(3);

    @Test
    void writesThroughTheProviderAndItsDataSourceMoveToThePromotedStandbyAfterThePrimaryIsKilled()
            throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            PostgresNode primary = cluster.primary();
            PostgresNode standby = cluster.standbys().get(0);
            Events events = Events.of(provider.topology());
            provider.exec("create table orders (id int primary key, written_by text not null)");
            provider.exec("insert into orders values (1, 'before')");
            cluster.awaitReplay(standby, REPLAY_TIMEOUT);

            Instant crashed = Instant.now();
            primary.crash();
            NodeStateChangedEvent unhealthy = events.awaitState("primary", NodeState.UNHEALTHY, DETECTION_TIMEOUT);
            assertThat(unhealthy.previousState()).isEqualTo(NodeState.HEALTHY);
            assertThat(provider.topology().node("primary").state()).isEqualTo(NodeState.UNHEALTHY);
            assertThat(provider.topology().primary()).isEmpty();
            // A write made while no node takes writes waits for the promotion instead of failing.
            CompletableFuture<Integer> waiting = CompletableFuture
                .supplyAsync(() -> provider.exec("insert into orders values (2, 'waited')"));

            long promoting = System.nanoTime();
            standby.promote();
            long promoted = System.nanoTime();
            assertThat(waiting.get(5, TimeUnit.SECONDS)).isOne();
            long waitedWriteDone = System.nanoTime();
            FailoverEvent failover = events.awaitEvent(FailoverEvent.class, (event) -> true, DETECTION_TIMEOUT);
            assertThat(failover.previousPrimary()).isEqualTo("primary");
            assertThat(failover.newPrimary()).isEqualTo("standby1");
            assertThat(failover.timeline()).isEqualTo(2);
            assertThat(provider.topology().primary()).hasValueSatisfying(
                    (node) -> assertThat(node.name()).isEqualTo("standby1"));

            assertThat(provider.exec("insert into orders values (3, 'exec')")).isOne();
            JdbcTemplate jdbcTemplate = new JdbcTemplate(provider.dataSource());
            assertThat(jdbcTemplate.update("insert into orders values (4, 'jdbcTemplate')")).isOne();
            assertThat(jdbcTemplate.queryForObject("select inet_server_port()", Integer.class))
                .isEqualTo(standby.port());
            try (Connection connection = provider.dataSource().getConnection();
                    PreparedStatement insert = connection.prepareStatement("insert into orders values (5, 'jdbc')")) {
                assertThat(insert.executeUpdate()).isOne();
                assertThat(serverPort(connection)).isEqualTo(standby.port());
            }
            assertThat(ids(standby, "orders")).containsExactly(1, 2, 3, 4, 5);
            assertThat(provider.topology().node("primary").state()).isEqualTo(NodeState.UNHEALTHY);
            logger.info("Killed primary unhealthy after {} ms; pg_ctl promote took {} ms and the waiting write was "
                    + "done {} ms after it began; writes unavailable for {} ms",
                    millisBetween(crashed, unhealthy.timestamp()), TimeUnit.NANOSECONDS.toMillis(promoted - promoting),
                    TimeUnit.NANOSECONDS.toMillis(waitedWriteDone - promoting),
                    failover.writesUnavailable().toMillis());
        }
    }

    @Test
    void withSynchronousReplicationEveryAcknowledgedInsertSurvivesAKillAndPromotion() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).synchronous(true).start();
                DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            Events events = Events.of(provider.topology());
            provider.exec("create table numbered (id int primary key)");
            NavigableSet<Integer> attempted = new ConcurrentSkipListSet<>();
            NavigableSet<Integer> acknowledged = new ConcurrentSkipListSet<>();
            NavigableSet<Integer> failed = new ConcurrentSkipListSet<>();
            List<RuntimeException> failures = new CopyOnWriteArrayList<>();
            List<Integer> failedInOrder = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                for (int id = 1; !stop.get(); id++) {
                    attempted.add(id);
                    try {
                        provider.exec("insert into numbered values (?)", id);
                        acknowledged.add(id);
                    }
                    catch (RuntimeException ex) {
                        failed.add(id);
                        failedInOrder.add(id);
                        failures.add(ex);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
            }, "numbered-writer");
            writer.start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> acknowledged.size() >= 50);
                Instant crashed = Instant.now();
                cluster.primary().crash();
                NodeStateChangedEvent unhealthy = events.awaitState("primary", NodeState.UNHEALTHY,
                        DETECTION_TIMEOUT);
                cluster.standbys().get(0).promote();
                int lastBeforePromotion = attempted.last();
                await().atMost(Duration.ofSeconds(5))
                    .until(() -> acknowledged.tailSet(lastBeforePromotion, false).size() >= 50);
                FailoverEvent failover = events.awaitEvent(FailoverEvent.class, (event) -> true, DETECTION_TIMEOUT);
                logger.info("Synchronous cluster: primary unhealthy after {} ms, writes unavailable for {} ms; {} "
                        + "inserts attempted, {} acknowledged, {} failed: {}",
                        millisBetween(crashed, unhealthy.timestamp()), failover.writesUnavailable().toMillis(),
                        attempted.size(), acknowledged.size(), failed.size(),
                        failures.stream().map(FailoverTests::describe).toList());
            }
            finally {
                stop.set(true);
                writer.join(Duration.ofSeconds(15).toMillis());
            }
            assertThat(writer.isAlive()).isFalse();

            Set<Integer> everything = new TreeSet<>(acknowledged);
            everything.addAll(failed);
            assertThat(everything).isEqualTo(attempted);
            assertThat(acknowledged).doesNotContainAnyElementsOf(failed);
            // an insert in flight when the primary died may have committed: it is reported as unknown, not transient
            assertThat(failures).allSatisfy((ex) -> assertThat(ex).isInstanceOfAny(TransientDataAccessException.class,
                    OutcomeUnknownException.class));
            Set<Integer> transientlyFailed = new TreeSet<>();
            for (int i = 0; i < failures.size(); i++) {
                if (failures.get(i) instanceof TransientDataAccessException) {
                    transientlyFailed.add(failedInOrder.get(i));
                }
            }
            List<Integer> present = ids(cluster.standbys().get(0), "numbered");
            assertThat(present).as("acknowledged inserts present on the new primary").containsAll(acknowledged);
            assertThat(present).as("inserts reported as transient failures absent")
                .filteredOn(transientlyFailed::contains)
                .isEmpty();
            assertThat(attempted).containsAll(present);
        }
    }

    @Test
    void anOldPrimaryRestartedOnItsOldTimelineIsStaleAndTakesNoWrites() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            PostgresNode primary = cluster.primary();
            PostgresNode standby = cluster.standbys().get(0);
            ClusterTopology topology = provider.topology();
            Events events = Events.of(topology);
            provider.exec("create table ledger (id int primary key)");
            provider.exec("insert into ledger values (1)");
            cluster.awaitReplay(standby, REPLAY_TIMEOUT);
            primary.crash();
            events.awaitState("primary", NodeState.UNHEALTHY, DETECTION_TIMEOUT);
            standby.promote();
            assertThat(provider.exec("insert into ledger values (2)")).isOne();
            assertThat(topology.primary()).hasValueSatisfying(
                    (node) -> assertThat(node.name()).isEqualTo("standby1"));

            Instant restarted = Instant.now();
            primary.restart();
            SplitBrainEvent splitBrain = events.awaitEvent(SplitBrainEvent.class, (event) -> true,
                    Duration.ofSeconds(5));
            assertThat(splitBrain.primaries()).containsExactlyInAnyOrder("primary", "standby1");
            assertThat(splitBrain.writable()).isEqualTo("standby1");
            assertThat(topology.isSplitBrain()).isTrue();
            assertThat(health(topology, "primary")).satisfies((health) -> {
                assertThat(health.role()).isEqualTo(NodeRole.PRIMARY);
                assertThat(health.timeline()).isOne();
                assertThat(health.stale()).isTrue();
                assertThat(health.writable()).isFalse();
            });
            assertThat(health(topology, "standby1")).satisfies((health) -> {
                assertThat(health.timeline()).isEqualTo(2);
                assertThat(health.stale()).isFalse();
                assertThat(health.writable()).isTrue();
            });

            JdbcTemplate jdbcTemplate = new JdbcTemplate(provider.dataSource());
            for (int id = 3; id <= 22; id += 2) {
                assertThat(provider.exec("insert into ledger values (?)", id)).isOne();
                assertThat(jdbcTemplate.update("insert into ledger values (?)", id + 1)).isOne();
            }
            assertThat(jdbcTemplate.queryForObject("select inet_server_port()", Integer.class))
                .isEqualTo(standby.port());
            for (int i = 0; i < 5; i++) {
                // Nor does it serve reads: the promoted standby is the only node left that can.
                assertThat(provider.queryCount("select inet_server_port()")).isEqualTo(standby.port());
            }
            assertThat(ids(standby, "ledger")).hasSize(22);
            assertThat(ids(primary, "ledger")).as("rows on the stale primary").containsExactly(1);
            assertThat(topology.primary()).hasValueSatisfying(
                    (node) -> assertThat(node.name()).isEqualTo("standby1"));
            logger.info("Split-brain reported {} ms after the restart of the old primary began",
                    millisBetween(restarted, splitBrain.timestamp()));
        }
    }

    @Test
    void withoutAnyPrimaryAWriteFailsAfterTheWriteWaitTimeout() {
        TopologySettings fast = Topologies.fast();
        TopologySettings settings = new TopologySettings(fast.readPreference(), fast.loadBalancing(), fast.maxLag(),
                fast.latencyWindow(), fast.failoverEnabled(), fast.checkInterval(), fast.checkTimeout(),
                fast.failureThreshold(), Duration.ofSeconds(1), fast.probeInterval());
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                DefaultPostgresProvider provider = provider(Topologies.start(cluster, settings))) {
            Events events = Events.of(provider.topology());
            provider.exec("create table pending (id int)");
            cluster.awaitReplay(cluster.standbys().get(0), REPLAY_TIMEOUT);
            cluster.primary().crash();
            events.awaitState("primary", NodeState.UNHEALTHY, DETECTION_TIMEOUT);

            long start = System.nanoTime();
            assertThatExceptionOfType(FailoverInProgressException.class)
                .isThrownBy(() -> provider.exec("insert into pending values (1)"))
                .withMessageContaining("No PostgreSQL primary can take writes")
                .withMessageContaining("no healthy node reports itself primary");
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertThat(waited).isBetween(Duration.ofMillis(950), Duration.ofMillis(2500));
            start = System.nanoTime();
            assertThatExceptionOfType(FailoverInProgressException.class)
                .isThrownBy(() -> new JdbcTemplate(provider.dataSource()).update("insert into pending values (2)"))
                .withMessageContaining("No PostgreSQL primary can take writes");
            Duration waitedThroughDataSource = Duration.ofNanos(System.nanoTime() - start);
            assertThat(waitedThroughDataSource).isBetween(Duration.ofMillis(950), Duration.ofMillis(2500));
            // Reads carry on on the standby meanwhile.
            assertThat(provider.queryCount("select count(*) from pending")).isZero();
            logger.info("Without a primary, exec failed after {} ms and JdbcTemplate after {} ms", waited.toMillis(),
                    waitedThroughDataSource.toMillis());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static DefaultPostgresProvider provider(ClusterTopology topology) {
        return new DefaultPostgresProvider(topology, new RowMappers(UnmappedColumns.IGNORE, null), 100);
    }

    /** The ids of a table, read on the node itself with a statement timeout, in case the node blocks. */
    static List<Integer> ids(PostgresNode node, String table) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute("set statement_timeout = '5s'");
            List<Integer> ids = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("select id from " + table + " order by id")) {
                while (rows.next()) {
                    ids.add(rows.getInt(1));
                }
            }
            return ids;
        }
    }

    static int serverPort(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select inet_server_port()")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    static long millisBetween(Instant start, Instant end) {
        return Duration.between(start, end).toMillis();
    }

    private static NodeHealth health(ClusterTopology topology, String name) {
        return topology.health().stream().filter((health) -> health.name().equals(name)).findFirst().orElseThrow();
    }

    private static String describe(Throwable ex) {
        return ex.getClass().getSimpleName() + ": " + ex.getMessage();
    }

    /** Records the events of a topology and waits for them. */
    static final class Events implements Consumer<TopologyEvent> {

        private final List<TopologyEvent> received = new CopyOnWriteArrayList<>();

        static Events of(ClusterTopology topology) {
            Events events = new Events();
            topology.addListener(events);
            return events;
        }

        @Override
        public void accept(TopologyEvent event) {
            this.received.add(event);
        }

        <T extends TopologyEvent> T awaitEvent(Class<T> type, Predicate<? super T> condition, Duration timeout) {
            return await().atMost(timeout).pollInterval(Duration.ofMillis(10))
                .until(() -> first(type, condition), Optional::isPresent)
                .orElseThrow();
        }

        NodeStateChangedEvent awaitState(String node, NodeState state, Duration timeout) {
            return awaitEvent(NodeStateChangedEvent.class,
                    (event) -> event.node().equals(node) && event.state() == state, timeout);
        }

        <T extends TopologyEvent> Optional<T> first(Class<T> type, Predicate<? super T> condition) {
            return this.received.stream().filter(type::isInstance).map(type::cast).filter(condition).findFirst();
        }

        @Override
        public String toString() {
            return this.received.toString();
        }

    }

}
