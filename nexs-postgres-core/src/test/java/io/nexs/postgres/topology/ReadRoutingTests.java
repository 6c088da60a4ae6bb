package io.nexs.postgres.topology;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.TransactionOptions;
import io.nexs.postgres.copy.CopyChunk;
import io.nexs.postgres.copy.CopyFormat;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.copy.CopyResult;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

/**
 * Where reads go over real streaming replication (a primary and two standbys), told by the port of the server
 * that answered: load balancing, the lag limit, read preferences, and Spring transactions over the provider's
 * routing {@link javax.sql.DataSource}.
 */
@ExtendWith(PostgresExtension.class)
class ReadRoutingTests {

    /** Which server answered, whether the transaction is read-only, which session and which transaction. */
    private static final String SESSION_SQL = "select inet_server_port(), current_setting('transaction_read_only') = 'on', "
            + "pg_backend_pid(), now()::text";

    private static final String SERVING_PORT = "select inet_server_port()";

    private static final Duration AWAIT = Duration.ofSeconds(15);

    @AfterEach
    void resumeReplay(@ClusterSpec(standbys = 2) PostgresCluster cluster) throws SQLException {
        // a failed lag test must not leave a standby paused for the next tests of the class
        for (PostgresNode standby : cluster.standbys()) {
            execute(standby, "select pg_wal_replay_resume()");
        }
    }

    @Test
    void roundRobinAlternatesReadsBetweenTheTwoReplicasAndSparesThePrimary(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            List<String> servers = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                servers.add(servedBy(provider, cluster));
            }
            assertThat(tally(servers)).containsOnly(entry("standby1", 50), entry("standby2", 50));
            for (int i = 1; i < servers.size(); i++) {
                assertThat(servers.get(i)).as("read %d", i).isNotEqualTo(servers.get(i - 1));
            }
        }
    }

    @Test
    void weightedBalancingSendsReadsInProportionToTheReplicasWeights(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        PostgresNode heavy = cluster.standbys().get(0);
        PostgresNode light = cluster.standbys().get(1);
        List<NodeDefinition> definitions = List.of(Topologies.definition(cluster.primary()),
                Topologies.definition(heavy.name(), heavy.host(), heavy.port(), 3),
                Topologies.definition(light.name(), light.host(), light.port(), 1));
        try (DefaultPostgresProvider provider = provider(
                Topologies.start(definitions, settings(LoadBalancing.WEIGHTED, null, Duration.ofSeconds(10))))) {
            Map<String, Integer> reads = readsPerNode(provider, cluster, 2000);
            assertThat(reads).containsOnlyKeys("standby1", "standby2");
            double ratio = (double) reads.get("standby1") / reads.get("standby2");
            assertThat(ratio).as("standby1:standby2 of %s", reads).isBetween(2.3, 3.9);
        }
    }

    @Test
    void aReplicaWhoseReplayFallsBehindTheLagLimitServesNoReadsUntilItCatchesUp(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) throws SQLException {
        PostgresNode lagging = cluster.standbys().get(0);
        Duration maxLag = Duration.ofSeconds(1);
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster,
                settings(LoadBalancing.ROUND_ROBIN, maxLag, Duration.ofSeconds(10))))) {
            ClusterTopology topology = provider.topology();
            provider.exec("create table if not exists lag_probe (id int)");
            // a replayed commit gives the standby a replay timestamp to measure its lag from
            provider.exec("insert into lag_probe values (0)");
            cluster.awaitReplay(AWAIT);
            assertThat(readsPerNode(provider, cluster, 10)).containsOnlyKeys("standby1", "standby2");
            execute(lagging, "select pg_wal_replay_pause()");
            try {
                provider.exec("insert into lag_probe values (1)");
                await().atMost(AWAIT).untilAsserted(() -> {
                    assertThat(health(topology, "standby1").replayLag()).isGreaterThan(maxLag);
                    assertThat(readsPerNode(provider, cluster, 10)).doesNotContainKey("standby1");
                });
                assertThat(health(topology, "standby1").state()).isEqualTo(NodeState.HEALTHY);
            }
            finally {
                execute(lagging, "select pg_wal_replay_resume()");
            }
            await().atMost(AWAIT).untilAsserted(() -> {
                assertThat(health(topology, "standby1").replayLag()).isLessThanOrEqualTo(maxLag);
                assertThat(readsPerNode(provider, cluster, 10)).containsKey("standby1");
            });
            assertThat(provider.queryCount("select count(*) from lag_probe where id = 1")).isOne();
        }
    }

    @Test
    void aReplicaReplayingALongTransactionAsItIsWrittenIsNotTakenForLagging(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        Duration maxLag = Duration.ofSeconds(2);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster,
                settings(LoadBalancing.ROUND_ROBIN, maxLag, Duration.ofSeconds(10))))) {
            ClusterTopology topology = provider.topology();
            provider.exec("create table if not exists bulk_probe (id int)");
            provider.exec("insert into bulk_probe values (0)");
            cluster.awaitReplay(AWAIT);
            // A bulk load that commits nothing for 4 s (its timeout cancels it and it rolls back). The standbys
            // replay its WAL as it streams in, a fraction of a second behind: they have every committed
            // transaction and must keep serving reads. (A set-returning function in the select list streams its
            // rows; in FROM it would be materialized first and write no WAL for a long while.)
            Future<?> bulk = executor.submit(() -> provider.inTransaction(
                    TransactionOptions.defaults().withTimeout(Duration.ofSeconds(4)),
                    (status) -> provider.exec("insert into bulk_probe select generate_series(1, 1e9::int)")));
            try {
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofMillis(3500)).untilAsserted(() -> {
                    assertThat(health(topology, "standby1").replayLag()).isLessThanOrEqualTo(maxLag);
                    assertThat(readsPerNode(provider, cluster, 4)).containsOnlyKeys("standby1", "standby2");
                });
            }
            finally {
                await().atMost(AWAIT).until(bulk::isDone);
                // its dead rows would keep autovacuum busy during the next tests
                provider.exec("drop table bulk_probe");
            }
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    void readPreferencesChooseWhichNodesServeAReadAndWhereItFallsBack(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            ClusterTopology topology = provider.topology();
            PostgresOperations primary = provider.withReadPreference(ReadPreference.PRIMARY);
            PostgresOperations secondary = provider.withReadPreference(ReadPreference.SECONDARY);
            PostgresOperations secondaryPreferred = provider.withReadPreference(ReadPreference.SECONDARY_PREFERRED);
            PostgresOperations nearest = provider.withReadPreference(ReadPreference.NEAREST);
            assertThat(readsPerNode(primary, cluster, 4)).containsOnly(entry("primary", 4));
            assertThat(readsPerNode(secondary, cluster, 4)).containsOnlyKeys("standby1", "standby2");
            assertThat(readsPerNode(secondaryPreferred, cluster, 4)).containsOnlyKeys("standby1", "standby2");
            assertThat(readsPerNode(nearest, cluster, 10).keySet()).isSubsetOf("primary", "standby1", "standby2")
                .isNotEmpty();
            topology.maintenance("standby1");
            topology.maintenance("standby2");
            try {
                assertThatExceptionOfType(ReplicaUnavailableException.class)
                    .isThrownBy(() -> secondary.queryCount(SERVING_PORT))
                    .withMessageContaining("secondary");
                assertThat(readsPerNode(secondaryPreferred, cluster, 4)).containsOnly(entry("primary", 4));
                assertThat(readsPerNode(provider, cluster, 4)).containsOnly(entry("primary", 4));
                assertThat(readsPerNode(nearest, cluster, 4)).containsOnly(entry("primary", 4));
                assertThat(readsPerNode(primary, cluster, 4)).containsOnly(entry("primary", 4));
            }
            finally {
                topology.resume("standby1");
                topology.resume("standby2");
            }
            assertThat(readsPerNode(secondary, cluster, 4)).containsOnly(entry("standby1", 2), entry("standby2", 2));
        }
    }

    @Test
    void aReadOnlyTransactionRunsOnAReplicaUnlessThePrimaryIsPreferred(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        TransactionOptions readOnly = TransactionOptions.defaults().withReadOnly(true);
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            provider.exec("create table if not exists read_only_probe (id int)");
            PostgresOperations onPrimary = provider.withReadPreference(ReadPreference.PRIMARY);
            Session preferringPrimary = onPrimary.inTransaction(readOnly, (status) -> session(onPrimary, cluster));
            assertThat(preferringPrimary.node()).isEqualTo("primary");
            assertThat(preferringPrimary.readOnly()).isTrue();
            assertThatExceptionOfType(DataAccessException.class)
                .isThrownBy(() -> onPrimary.inTransaction(readOnly,
                        (status) -> onPrimary.exec("insert into read_only_probe values (1)")))
                .withMessageContaining("read-only transaction");
            Session byDefault = provider.inTransaction(readOnly, (status) -> session(provider, cluster));
            assertThat(byDefault.node()).isIn("standby1", "standby2");
            assertThat(byDefault.readOnly()).isTrue();
            assertThat(provider.withReadPreference(ReadPreference.PRIMARY)
                .queryCount("select count(*) from read_only_probe")).isZero();
        }
    }

    @Test
    void springTransactionsOverTheProvidersDataSourceRouteByTheirReadOnlyFlag(
            @ClusterSpec(standbys = 2) PostgresCluster cluster) {
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            provider.exec("create table if not exists spring_routing (id int)");
            JdbcTemplate jdbc = new JdbcTemplate(provider.dataSource());
            JdbcTransactionManager transactionManager = new JdbcTransactionManager(provider.dataSource());
            TransactionTemplate readOnly = new TransactionTemplate(transactionManager);
            readOnly.setReadOnly(true);
            TransactionTemplate readWrite = new TransactionTemplate(transactionManager);

            Session reading = readOnly.execute((status) -> session(jdbc, cluster));
            assertThat(reading.node()).isIn("standby1", "standby2");
            assertThat(reading.readOnly()).isTrue();

            Session writing = readWrite.execute((status) -> {
                assertThat(jdbc.update("insert into spring_routing values (1)")).isOne();
                return session(jdbc, cluster);
            });
            assertThat(writing.node()).isEqualTo("primary");
            assertThat(writing.readOnly()).isFalse();

            Session outside = session(jdbc, cluster);
            assertThat(outside.node()).isEqualTo("primary");
            assertThat(outside.readOnly()).isFalse();
            assertThat(jdbc.queryForObject("select count(*) from spring_routing", Integer.class)).isOne();
        }
    }

    @Test
    void theProvidersQueriesJoinTheTransactionBoundToTheThread(@ClusterSpec(standbys = 2) PostgresCluster cluster) {
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            provider.exec("create table if not exists joined_probe (id int)");
            List<Session> inProviderTransaction = provider.inTransaction((status) -> {
                provider.exec("insert into joined_probe values (1)");
                List<Session> sessions = new ArrayList<>();
                sessions.add(session(provider, cluster));
                sessions.add(session(provider, cluster));
                // the uncommitted row is visible: the query ran in the transaction
                assertThat(provider.queryCount("select count(*) from joined_probe")).isOne();
                return sessions;
            });
            assertThat(inProviderTransaction).allSatisfy((session) -> {
                assertThat(session.node()).isEqualTo("primary");
                assertThat(session.readOnly()).isFalse();
            });
            assertThat(inProviderTransaction.get(1)).isEqualTo(inProviderTransaction.get(0));

            JdbcTemplate jdbc = new JdbcTemplate(provider.dataSource());
            JdbcTransactionManager transactionManager = new JdbcTransactionManager(provider.dataSource());
            TransactionTemplate readOnly = new TransactionTemplate(transactionManager);
            readOnly.setReadOnly(true);
            TransactionTemplate readWrite = new TransactionTemplate(transactionManager);
            List<Session> inReadOnly = readOnly.execute((status) -> List.of(session(jdbc, cluster),
                    session(provider, cluster)));
            assertThat(inReadOnly.get(0).node()).isIn("standby1", "standby2");
            assertThat(inReadOnly.get(1)).isEqualTo(inReadOnly.get(0));
            List<Session> inReadWrite = readWrite.execute((status) -> List.of(session(jdbc, cluster),
                    session(provider, cluster)));
            assertThat(inReadWrite.get(0).node()).isEqualTo("primary");
            assertThat(inReadWrite.get(1)).isEqualTo(inReadWrite.get(0));
        }
    }

    @Test
    void copyInLoadsThePrimaryInEveryModeAndCopyOutReadsAReplica(@ClusterSpec(standbys = 2) PostgresCluster cluster) {
        try (DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()))) {
            provider.exec("drop table if exists copied");
            provider.exec("create table copied (id int, served_by int default inet_server_port())");
            List<Object[]> rows = new ArrayList<>();
            for (int i = 0; i < 95; i++) {
                rows.add(new Object[] { i });
            }
            provider.copy().into("copied").columns("id").rows(rows);
            CopyResult chunked = provider.withReadPreference(ReadPreference.SECONDARY).copy().into("copied")
                    .columns("id")
                    .options(CopyOptions.defaults().withMode(CopyMode.PER_CHUNK).withChunkRows(10).withParallelism(2))
                    .rows(rows);
            assertThat(chunked.chunks()).hasSize(10).allMatch(CopyChunk::committed);
            cluster.awaitReplay(AWAIT);
            assertThat(provider.queryAll(Integer.class, "select distinct served_by from copied"))
                .containsExactly(cluster.primary().port());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(provider.copy().out("select inet_server_port() from copied")
                    .to(out, CopyFormat.csv())).isEqualTo(190);
            assertThat(out.toString(StandardCharsets.UTF_8).lines().distinct().map(Integer::valueOf)
                .map((port) -> nodeAt(cluster, port))).singleElement().asString().startsWith("standby");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Who served a query, in which kind of transaction, on which session, in which transaction. */
    record Session(String node, boolean readOnly, int backendPid, String transactionStart) {

    }

    static DefaultPostgresProvider provider(ClusterTopology topology) {
        return new DefaultPostgresProvider(topology, new RowMappers(UnmappedColumns.IGNORE, null), 100);
    }

    /** {@link Topologies#fast()} with another load balancing, lag limit and write wait. */
    static TopologySettings settings(LoadBalancing loadBalancing, @Nullable Duration maxLag, Duration writeWait) {
        TopologySettings fast = Topologies.fast();
        return new TopologySettings(fast.readPreference(), loadBalancing, maxLag, fast.latencyWindow(),
                fast.failoverEnabled(), fast.checkInterval(), fast.checkTimeout(), fast.failureThreshold(), writeWait,
                fast.probeInterval());
    }

    /** The node of the cluster that listens on a port. */
    static String nodeAt(PostgresCluster cluster, int port) {
        return cluster.nodes().stream().filter((node) -> node.port() == port).map(PostgresNode::name).findFirst()
            .orElse("port " + port);
    }

    static String servedBy(PostgresOperations operations, PostgresCluster cluster) {
        return nodeAt(cluster, (int) operations.queryCount(SERVING_PORT));
    }

    /** Runs that many reads one after the other and counts them per node that served them. */
    static Map<String, Integer> readsPerNode(PostgresOperations operations, PostgresCluster cluster, int reads) {
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < reads; i++) {
            servers.add(servedBy(operations, cluster));
        }
        return tally(servers);
    }

    static Map<String, Integer> tally(List<String> servers) {
        Map<String, Integer> counts = new TreeMap<>();
        servers.forEach((server) -> counts.merge(server, 1, Integer::sum));
        return counts;
    }

    static Session session(PostgresOperations operations, PostgresCluster cluster) {
        return operations.queryOne(SESSION_SQL, sessionMapper(cluster)).orElseThrow();
    }

    static Session session(JdbcTemplate jdbc, PostgresCluster cluster) {
        return jdbc.queryForObject(SESSION_SQL, sessionMapper(cluster));
    }

    private static RowMapper<Session> sessionMapper(PostgresCluster cluster) {
        return (rs, rowNum) -> new Session(nodeAt(cluster, rs.getInt(1)), rs.getBoolean(2), rs.getInt(3),
                rs.getString(4));
    }

    static NodeHealth health(ClusterTopology topology, String name) {
        return topology.health().stream().filter((health) -> health.name().equals(name)).findFirst().orElseThrow();
    }

    /** Runs a statement on a node of the kit directly, outside the topology. */
    static void execute(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** The port of the server a connection is open to. */
    static int port(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(SERVING_PORT)) {
            rs.next();
            return rs.getInt(1);
        }
    }

}
