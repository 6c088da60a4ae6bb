package io.nexs.postgres.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.topology.SplitBrainEvent;
import io.nexs.postgres.topology.TopologySettings;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.PostgresTransactionManager;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The {@code failover} benchmark: what a steady writer sees when the primary of a cluster fails and the cluster
 * manager promotes its synchronous standby, through nexs-postgres and through HikariCP on a PgJDBC multi-host URL
 * with {@code targetServerType=primary} (the usual way to follow a primary with plain JDBC).
 *
 * <p>Every cycle starts a fresh cluster (a primary and one synchronous standby, {@code synchronous_commit=on}),
 * lets one writer thread insert a row with the next id every {@value #WRITE_INTERVAL_MILLIS} ms for one to two
 * seconds, then kills the primary (SIGKILL to the postmaster, {@code kill}) or freezes all its processes
 * (SIGSTOP, {@code hang}), promotes the standby {@value #PROMOTE_AFTER_MILLIS} ms after the fault, and waits for
 * the first write acknowledged after the promotion returned. How long a hung server takes to notice depends on
 * where in the monitor's check interval the fault falls, so the writing time before the fault is stepped evenly
 * over one check interval from cycle to cycle (the same steps for both systems). It measures:
 * <ul>
 * <li>detection (ours only; HikariCP has no monitor): from the fault to the topology's
 * {@link NodeStateChangedEvent} marking the old primary {@link NodeState#UNHEALTHY};</li>
 * <li>write recovery: from the return of {@code promote()} (which waits until the standby accepts writes) to the
 * first write acknowledged after it; also from the fault to the first acknowledged write that went to the new
 * primary (every row records the port of the server that inserted it). {@code pg_ctl promote -w} polls every
 * 100 ms, so writes may resume on the new primary before {@code promote()} returns: the cycle's line says so,
 * and its recovery is then the next write's;</li>
 * <li>acknowledged writes lost: ids whose insert returned normally but that the new primary does not have.</li>
 * </ul>
 *
 * <p>Ours is a {@link ClusterTopology} with {@link TopologySettings#defaults()} and the shipped pool defaults
 * behind a {@link DefaultPostgresProvider}, written to in two ways, each in cycles of its own so that one path's
 * failure report cannot speed up the other's detection: through the library API ({@code exec}), and through the
 * path most Spring applications take, the routed {@code DataSource} with {@code @Transactional}-style
 * transactions ({@link PostgresTransactionManager}, {@link TransactionTemplate}, {@link JdbcTemplate}), where
 * "acknowledged" means the transaction returned normally; the peer is a {@link HikariDataSource} with its defaults and PgJDBC's.
 * A hung primary typically leaves the peer's writer blocked on a socket read for good, so the wait for recovery
 * is capped; the peer's writer is a daemon thread that is left behind, and closing the pool aborts its
 * connection. Servers run with {@code fsync=off}: the faults are process faults, the operating system keeps what
 * was written, so only the synchronous standby decides whether an acknowledged write survives.
 *
 * <p>Then {@link Overload} runs its cycles, in which nothing fails but a monitor could be fooled: the result line's
 * {@code false_failovers} counts those that saw a failover, a state change or a failed write.
 *
 * <p>Medians are over the cycles of a variant; a cycle without a write within the cap counts as infinitely long,
 * so a median is {@code timeout} once half the cycles or more timed out. The result line's {@code lost} is the
 * library API's and {@code lost_datasource} the DataSource's, summed over all cycles; the table has the peer's.
 */
final class Failover {

    /** Pause between the starts of two writes; a write that blocks is not made up for. */
    static final long WRITE_INTERVAL_MILLIS = 5;

    /** Time from the fault to the promotion of the standby. */
    static final long PROMOTE_AFTER_MILLIS = 1_000;

    /** Writes acknowledged before the fault (about a second of writing). */
    private static final int WRITES_BEFORE_FAULT = 200;

    /** Ids the writer may use in one cycle: 200 writes a second for more than the longest cycle. */
    private static final int MAX_IDS = 200_000;

    static final String CREATE_TABLE = "create table t (id bigint primary key, "
            + "port int not null default inet_server_port())";

    static final String INSERT = "insert into t(id) values (?)";

    static final Duration SETUP_TIMEOUT = Duration.ofSeconds(30);

    /** Targets printed after the table. */
    private static final double TARGET_DETECT_KILL_S = 1.0;

    private static final double TARGET_DETECT_HANG_S = 2.0;

    private static final double TARGET_RECOVER_S = 0.2;

    /** Through the routed DataSource, the pools hear the lost connections: no regular check to wait for. */
    private static final double TARGET_DETECT_KILL_DATASOURCE_S = 0.1;

    enum Fault {

        KILL("kill", "SIGKILL") {
            @Override
            void inject(PostgresNode node) {
                node.crash();
            }
        },

        HANG("hang", "SIGSTOP") {
            @Override
            void inject(PostgresNode node) {
                node.hang();
            }
        };

        final String key;

        final String signal;

        Fault(String key, String signal) {
            this.key = key;
            this.signal = signal;
        }

        abstract void inject(PostgresNode node);

    }

    enum Side {

        OURS("ours", "nexs-postgres ClusterTopology"),

        DATASOURCE("datasource", "nexs-postgres routed DataSource"),

        PEER("peer", "HikariCP + PgJDBC multi-host");

        final String key;

        final String label;

        Side(String key, String label) {
            this.key = key;
            this.label = label;
        }

    }

    /**
     * One cycle's numbers, in seconds. {@code detected} is NaN when not measured (the peer) or never seen;
     * {@code recovered} and {@code fromFault} are infinite when no write succeeded within the cap.
     */
    record Outcome(Fault fault, Side side, int cycle, double detected, double recovered, double fromFault,
            double promote, boolean beforePromoteReturned, long acked, long failed, long lost, int splitBrains) {

        boolean timedOut() {
            return Double.isInfinite(this.recovered);
        }

    }

    /** What the writer writes through. */
    interface Client extends AutoCloseable {

        void insert(long id) throws Exception;

        /** When the topology marked the old primary unhealthy, waiting up to {@code timeout}; null if never. */
        @Nullable Instant awaitUnhealthy(Duration timeout) throws InterruptedException;

        /** Split-brain events the topology published: none is expected, the old primary never answers again. */
        int splitBrains();

        @Override
        void close();

    }

    private Failover() {
    }

    /**
     * Runs the benchmark and prints its table.
     * @param quick the short run
     * @return the result line
     * @throws Exception when a cluster cannot be started or a cycle fails outside the measured failover
     */
    static String run(boolean quick) throws Exception {
        Benchmarks.useBundledBinaries();
        // Failovers make the pools and the topology warn by design, several lines a cycle: each cycle prints its
        // own summary instead. -Dorg.slf4j.simpleLogger.log.<logger>=warn brings them back.
        Benchmarks.quiet("io.nexs.postgres.topology");
        Benchmarks.quiet("io.nexs.postgres.pool");
        Benchmarks.quiet("com.zaxxer.hikari");
        int cycles = quick ? 2 : 5;
        int overloadCycles = quick ? 2 : 4;
        Duration cap = Duration.ofSeconds(quick ? 20 : 60);
        List<Outcome> outcomes = new ArrayList<>();
        boolean first = true;
        for (int cycle = 1; cycle <= cycles; cycle++) {
            for (Fault fault : Fault.values()) {
                for (Side side : Side.values()) {
                    // The fault falls at a different point of the monitor's check interval in each cycle, evenly
                    // spread: the writer's warm-up alone would put it right after a check every time.
                    Duration phase = TopologySettings.defaults().checkInterval().multipliedBy(2 * cycle - 1)
                        .dividedBy(2L * cycles);
                    Outcome outcome = cycle(fault, side, cycle, phase, cap,
                            first ? (node) -> header(quick, node, cycles, overloadCycles, cap) : null);
                    first = false;
                    print(outcome);
                    outcomes.add(outcome);
                }
            }
        }
        List<Overload.Outcome> overloads = new ArrayList<>();
        for (int cycle = 1; cycle <= overloadCycles; cycle++) {
            Overload.Outcome outcome = Overload.cycle(cycle);
            Overload.print(outcome);
            overloads.add(outcome);
        }
        System.out.println();
        return report(outcomes, overloads, cap);
    }

    @FunctionalInterface
    private interface Header {

        void print(PostgresNode node) throws SQLException;

    }

    private static void header(boolean quick, PostgresNode node, int cycles, int overloadCycles, Duration cap)
            throws SQLException {
        Machine.describe("failover", quick, node, "primary + 1 synchronous standby, synchronous_commit=on, "
                + "fsync=off");
        TopologySettings defaults = TopologySettings.defaults();
        long interval = defaults.checkInterval().toMillis();
        System.out.printf(Locale.ROOT, "%d cycles per variant (kill, hang) and system, each on a fresh cluster; one "
                + "writer inserting every %d ms; fault after %d acknowledged writes and a further %d..%d ms (spread "
                + "over the check interval), promotion %d ms after the fault; recovery waited for up to %d s%n",
                cycles, WRITE_INTERVAL_MILLIS, WRITES_BEFORE_FAULT, interval / (2 * cycles),
                interval * (2 * cycles - 1) / (2 * cycles), PROMOTE_AFTER_MILLIS, cap.toSeconds());
        System.out.printf(Locale.ROOT, "ours: ClusterTopology, TopologySettings.defaults() (check every %d ms, "
                + "timeout %d ms, threshold %d, probe %d ms), pools of 10, DefaultPostgresProvider.exec%n",
                defaults.checkInterval().toMillis(), defaults.checkTimeout().toMillis(), defaults.failureThreshold(),
                defaults.probeInterval().toMillis());
        System.out.println("datasource: the same provider's routed DataSource, each write a TransactionTemplate "
                + "transaction (PostgresTransactionManager, as auto-configured) around JdbcTemplate.update");
        System.out.println("peer: HikariDataSource (defaults: pool of 10, connectionTimeout 30 s) on "
                + "jdbc:postgresql://h:p1,h:p2/postgres?targetServerType=primary (PgJDBC defaults: socketTimeout 0)");
        Overload.describe(overloadCycles);
        System.out.println();
    }

    // ------------------------------------------------------------------------------------------------ a cycle

    private static Outcome cycle(Fault fault, Side side, int cycle, Duration phase, Duration cap,
            @Nullable Header header) throws Exception {
        PostgresCluster cluster = PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .durable(false)
            // durable(false) turns synchronous_commit off, which would make the synchronous standby moot
            .setting("synchronous_commit", "on")
            .start();
        PostgresNode primary = cluster.primary();
        PostgresNode standby = cluster.standbys().get(0);
        try {
            if (header != null) {
                header.print(primary);
            }
            try (Connection connection = primary.connect(); Statement statement = connection.createStatement()) {
                statement.execute(CREATE_TABLE);
            }
            cluster.awaitReplay(standby, SETUP_TIMEOUT);
            Client client = switch (side) {
                case OURS -> ours(cluster, false);
                case DATASOURCE -> ours(cluster, true);
                case PEER -> peer(cluster);
            };
            Writer writer = new Writer(client, "failover-writer-" + fault.key + "-" + side.key + "-" + cycle);
            try {
                return measure(fault, side, cycle, phase, cap, primary, standby, client, writer);
            }
            finally {
                writer.stop();
                client.close();
            }
        }
        finally {
            // a frozen server cannot stop; once resumed it is shut down with the rest
            if (primary.isHung()) {
                primary.resume();
            }
            cluster.close();
            for (PostgresNode node : cluster.nodes()) {
                if (node.isRunning()) {
                    System.err.println("warning: PostgreSQL node " + node + " (postmaster " + node.postmasterPid()
                            + ") still runs after its cluster was closed");
                }
            }
        }
    }

    private static Outcome measure(Fault fault, Side side, int cycle, Duration phase, Duration cap,
            PostgresNode primary, PostgresNode standby, Client client, Writer writer) throws Exception {
        writer.start();
        writer.awaitAcked(WRITES_BEFORE_FAULT, SETUP_TIMEOUT);
        sleepUntil(writer, writer.nanos() + phase.toNanos());

        Instant faultAt = Instant.now();
        long faultNanos = writer.nanos();
        fault.inject(primary);
        sleepUntil(writer, faultNanos + TimeUnit.MILLISECONDS.toNanos(PROMOTE_AFTER_MILLIS));
        long promoteStart = writer.nanos();
        standby.promote();
        long promoteEnd = writer.nanos();
        boolean recovered = writer.awaitAckAfter(promoteEnd, promoteEnd + cap.toNanos());
        // Ours returns from a failed write within the write-wait timeout; the peer's writer may be stuck on a
        // hung socket for good, and is left behind (closing the pool aborts its connection).
        writer.stop();
        writer.join((side != Side.PEER) ? Duration.ofSeconds(20) : Duration.ofSeconds(1));

        Instant unhealthy = client.awaitUnhealthy(Duration.ofSeconds(5));
        double detected = (unhealthy != null) ? seconds(Duration.between(faultAt, unhealthy).toNanos())
                : Double.NaN;

        // Snapshot the acknowledgements before reading the table: whatever was acknowledged by then must be there.
        long[] acks = writer.acks();
        Map<Long, Integer> rows = rows(standby);
        long acked = 0;
        long lost = 0;
        long firstOnNew = Long.MAX_VALUE;
        long firstAfterPromotion = Long.MAX_VALUE;
        for (int id = 1; id < acks.length; id++) {
            long ack = acks[id];
            if (ack == 0) {
                continue;
            }
            acked++;
            Integer port = rows.get((long) id);
            if (port == null) {
                lost++;
            }
            else if (port == standby.port()) {
                firstOnNew = Math.min(firstOnNew, ack);
            }
            if (ack > promoteEnd) {
                firstAfterPromotion = Math.min(firstAfterPromotion, ack);
            }
        }
        double recoveredSeconds = (recovered && firstAfterPromotion != Long.MAX_VALUE)
                ? seconds(firstAfterPromotion - promoteEnd) : Double.POSITIVE_INFINITY;
        double fromFault = (firstOnNew != Long.MAX_VALUE) ? seconds(firstOnNew - faultNanos)
                : Double.POSITIVE_INFINITY;
        return new Outcome(fault, side, cycle, detected, recoveredSeconds, fromFault,
                seconds(promoteEnd - promoteStart), firstOnNew < promoteEnd, acked, writer.failed(), lost,
                client.splitBrains());
    }

    /** Id and server port of every row, read from the new primary. */
    private static Map<Long, Integer> rows(PostgresNode node) throws SQLException {
        Map<Long, Integer> rows = new HashMap<>();
        try (Connection connection = node.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select id, port from t")) {
            while (rs.next()) {
                rows.put(rs.getLong(1), rs.getInt(2));
            }
        }
        return rows;
    }

    private static void sleepUntil(Writer clock, long nanos) {
        long remaining;
        while ((remaining = nanos - clock.nanos()) > 0) {
            LockSupport.parkNanos(remaining);
        }
    }

    // ------------------------------------------------------------------------------------------------ clients

    /**
     * The provider as the auto-configuration builds it from the shipped defaults, over both nodes; the writer
     * calls the library API, or, for {@code dataSource}, runs {@code @Transactional}-style transactions with
     * {@link JdbcTemplate} over the routed {@code DataSource} and the transaction manager the auto-configuration
     * wires.
     */
    private static Client ours(PostgresCluster cluster, boolean dataSource) {
        List<NodeDefinition> definitions = new ArrayList<>();
        for (PostgresNode node : cluster.nodes()) {
            definitions.add(definition(node));
        }
        String primaryName = cluster.primary().name();
        AtomicReference<@Nullable Instant> unhealthy = new AtomicReference<>();
        AtomicInteger splitBrains = new AtomicInteger();
        ClusterTopology topology = new DefaultClusterTopology(definitions, TopologySettings.defaults(), List.of());
        topology.addListener((event) -> {
            if (event instanceof NodeStateChangedEvent changed && changed.node().equals(primaryName)
                    && changed.state() == NodeState.UNHEALTHY) {
                unhealthy.compareAndSet(null, changed.timestamp());
            }
            else if (event instanceof SplitBrainEvent) {
                splitBrains.incrementAndGet();
            }
        });
        topology.start();
        DefaultPostgresProvider provider = new DefaultPostgresProvider(topology,
                new RowMappers(UnmappedColumns.IGNORE, null), PostgresTemplate.DEFAULT_FETCH_SIZE);
        JdbcTemplate jdbcTemplate = new JdbcTemplate(provider.dataSource());
        Retrier retrier = new Retrier(RetrySettings.defaults(), TransientErrors.defaults());
        CommitOutcomeCheck commitCheck = new CommitOutcomeCheck(RoutingDataSource.primary(topology),
                retrier.settings().verifyCommitTimeout());
        TransactionTemplate transactions = new TransactionTemplate(
                new PostgresTransactionManager(provider.dataSource(), new SqlErrors(), commitCheck, retrier));
        return new Client() {

            @Override
            public void insert(long id) {
                if (dataSource) {
                    transactions.executeWithoutResult((status) -> jdbcTemplate.update(INSERT, id));
                }
                else {
                    provider.exec(INSERT, id);
                }
            }

            @Override
            public @Nullable Instant awaitUnhealthy(Duration timeout) throws InterruptedException {
                long deadline = System.nanoTime() + timeout.toNanos();
                while (unhealthy.get() == null && System.nanoTime() - deadline < 0) {
                    Thread.sleep(5);
                }
                return unhealthy.get();
            }

            @Override
            public int splitBrains() {
                return splitBrains.get();
            }

            @Override
            public void close() {
                provider.close();
            }

        };
    }

    /**
     * A node as {@code nexs.postgres.nodes} configures it with every other property at its default: the shipped
     * driver properties (connect and login timeout 10 s, no socket timeout) and pool settings.
     */
    private static NodeDefinition definition(PostgresNode node) {
        return definition(node.name(), node.host(), node.port(), node.jdbcUrl(), node.username(), node.password());
    }

    /** The same from a node's coordinates, for a JVM that does not start the servers. */
    static NodeDefinition definition(String name, String host, int port, String jdbcUrl, String username,
            @Nullable String password) {
        Map<String, String> driver = new HashMap<>();
        driver.put("connectTimeout", "10");
        driver.put("loginTimeout", "10");
        driver.put("socketTimeout", "0");
        driver.put("ApplicationName", "failover-ours");
        driver.put("reWriteBatchedInserts", "true");
        driver.put("logServerErrorDetail", "false");
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress(host, port), jdbcUrl, username,
                password, driver);
        PoolSettings pool = new PoolSettings(10, 10, Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(30), Duration.ofMinutes(2), Duration.ofSeconds(5), Duration.ZERO, true, true,
                Duration.ofSeconds(30));
        return new NodeDefinition(name, connection, pool, 1, Set.of());
    }

    /** Plain HikariCP on a multi-host URL: PgJDBC picks whichever host reports itself primary when connecting. */
    private static Client peer(PostgresCluster cluster) {
        PostgresNode primary = cluster.primary();
        PostgresNode standby = cluster.standbys().get(0);
        HikariConfig config = new HikariConfig();
        config.setPoolName("failover-peer");
        config.setJdbcUrl("jdbc:postgresql://" + primary.host() + ":" + primary.port() + "," + standby.host() + ":"
                + standby.port() + "/postgres?targetServerType=primary&ApplicationName=failover-peer");
        config.setUsername(primary.username());
        if (primary.password() != null) {
            config.setPassword(primary.password());
        }
        HikariDataSource dataSource = new HikariDataSource(config);
        return new Client() {

            @Override
            public void insert(long id) throws SQLException {
                try (Connection connection = dataSource.getConnection();
                        PreparedStatement statement = connection.prepareStatement(INSERT)) {
                    statement.setLong(1, id);
                    statement.executeUpdate();
                }
            }

            @Override
            public @Nullable Instant awaitUnhealthy(Duration timeout) {
                return null;
            }

            @Override
            public int splitBrains() {
                return 0;
            }

            @Override
            public void close() {
                dataSource.close();
            }

        };
    }

    // ------------------------------------------------------------------------------------------------- writer

    /**
     * One thread inserting the next id every {@value #WRITE_INTERVAL_MILLIS} ms (a write that takes longer is
     * followed at once by the next, without catching up), recording when each insert was acknowledged. A daemon,
     * so one stuck on a hung server never keeps the JVM alive.
     */
    static final class Writer {

        private final long origin = System.nanoTime();

        private final Client client;

        private final Thread thread;

        /** When each id's insert returned, in {@link #nanos()}; 0 when it did not (yet). */
        private final AtomicLongArray acked = new AtomicLongArray(MAX_IDS);

        private final AtomicLong ackCount = new AtomicLong();

        private final AtomicLong failures = new AtomicLong();

        private volatile long lastAck;

        private volatile boolean stopped;

        Writer(Client client, String name) {
            this.client = client;
            this.thread = new Thread(this::write, name);
            this.thread.setDaemon(true);
        }

        /** Nanoseconds since the writer was created, always positive. */
        long nanos() {
            return System.nanoTime() - this.origin + 1;
        }

        void start() {
            this.thread.start();
        }

        private void write() {
            long interval = TimeUnit.MILLISECONDS.toNanos(WRITE_INTERVAL_MILLIS);
            long next = nanos();
            for (int id = 1; id < MAX_IDS && !this.stopped; id++) {
                try {
                    this.client.insert(id);
                    long now = nanos();
                    this.acked.set(id, now);
                    this.ackCount.incrementAndGet();
                    this.lastAck = now;
                }
                catch (Exception ex) {
                    this.failures.incrementAndGet();
                }
                next += interval;
                long now = nanos();
                if (next - now > 0) {
                    while (!this.stopped && (now = nanos()) < next) {
                        LockSupport.parkNanos(next - now);
                    }
                }
                else {
                    next = now;
                }
            }
        }

        void awaitAcked(int count, Duration timeout) throws InterruptedException {
            long deadline = nanos() + timeout.toNanos();
            while (this.ackCount.get() < count) {
                if (nanos() - deadline > 0 || !this.thread.isAlive()) {
                    throw new IllegalStateException("the writer had " + this.ackCount.get() + " of " + count
                            + " writes acknowledged after " + timeout.toSeconds() + " s; " + this.failures.get()
                            + " failed");
                }
                Thread.sleep(5);
            }
        }

        /** Waits for a write acknowledged after {@code nanos}, until {@code deadline}; false when none came. */
        boolean awaitAckAfter(long after, long deadline) {
            while (this.lastAck <= after) {
                if (nanos() - deadline > 0) {
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            return true;
        }

        void stop() {
            this.stopped = true;
        }

        void join(Duration timeout) throws InterruptedException {
            this.thread.join(Math.max(1, timeout.toMillis()));
        }

        long failed() {
            return this.failures.get();
        }

        long[] acks() {
            long[] copy = new long[MAX_IDS];
            for (int id = 0; id < MAX_IDS; id++) {
                copy[id] = this.acked.get(id);
            }
            return copy;
        }

    }

    // ------------------------------------------------------------------------------------------------- report

    private static void print(Outcome outcome) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s %s %d:", outcome.fault().key,
                outcome.side().key, outcome.cycle()));
        if (outcome.side() != Side.PEER) {
            line.append(Double.isNaN(outcome.detected()) ? " old primary never marked unhealthy;"
                    : String.format(Locale.ROOT, " unhealthy after %.3f s;", outcome.detected()));
        }
        line.append(String.format(Locale.ROOT, " promote() took %.3f s;", outcome.promote()));
        if (outcome.timedOut()) {
            line.append(" no write acknowledged after the promotion");
        }
        else {
            line.append(String.format(Locale.ROOT, " first write %.3f s after promote() returned, on the new "
                    + "primary %.3f s after the fault%s", outcome.recovered(), outcome.fromFault(),
                    outcome.beforePromoteReturned() ? " (before promote() returned)" : ""));
        }
        line.append(String.format(Locale.ROOT, "; %,d writes acknowledged, %,d failed, %d lost", outcome.acked(),
                outcome.failed(), outcome.lost()));
        if (outcome.splitBrains() > 0) {
            line.append("; split-brain reported although the old primary never answered again");
        }
        System.out.println(line);
    }

    private static String report(List<Outcome> outcomes, List<Overload.Outcome> overloads, Duration cap) {
        TextTable table = new TextTable("variant", "system", "detected (median, min-max)",
                "recovered after promotion (median, min-max)", "after fault", "timeouts", "lost (total)");
        Map<String, double[]> detect = new HashMap<>();
        Map<String, double[]> recover = new HashMap<>();
        Map<String, Long> lost = new HashMap<>();
        for (Fault fault : Fault.values()) {
            for (Side side : Side.values()) {
                List<Outcome> mine = outcomes.stream()
                    .filter((outcome) -> outcome.fault() == fault && outcome.side() == side)
                    .toList();
                String key = fault.key + "/" + side.key;
                double[] detected = mine.stream().mapToDouble(Outcome::detected).toArray();
                double[] recovered = mine.stream().mapToDouble(Outcome::recovered).toArray();
                double fromFault = median(mine.stream().mapToDouble(Outcome::fromFault).toArray());
                long timeouts = mine.stream().filter(Outcome::timedOut).count();
                long lostWrites = mine.stream().mapToLong(Outcome::lost).sum();
                detect.put(key, detected);
                recover.put(key, recovered);
                lost.put(key, lostWrites);
                table.row(fault.key + " (" + fault.signal + ")", side.label,
                        (side == Side.PEER) ? "-" : spread(detected, cap), spread(recovered, cap),
                        seconds(fromFault, cap), timeouts + "/" + mine.size(), String.valueOf(lostWrites));
            }
        }
        table.print();
        System.out.println();
        System.out.println("detected: fault -> old primary marked unhealthy (HikariCP has no monitor); recovered "
                + "after promotion: promote() returned -> next acknowledged write; after fault: fault -> first "
                + "acknowledged write on the new primary; min-max over the cycles, whose faults fall at different "
                + "points of the check interval on purpose");

        double[] detectKill = detect.get("kill/ours");
        double[] detectHang = detect.get("hang/ours");
        double[] recoverKill = recover.get("kill/ours");
        double[] recoverHang = recover.get("hang/ours");
        long lostOurs = lost.get("kill/ours") + lost.get("hang/ours");
        double[] detectKillDataSource = detect.get("kill/datasource");
        double[] detectHangDataSource = detect.get("hang/datasource");
        double[] recoverKillDataSource = recover.get("kill/datasource");
        double[] recoverHangDataSource = recover.get("hang/datasource");
        long lostDataSource = lost.get("kill/datasource") + lost.get("hang/datasource");
        target("killed primary marked unhealthy", median(detectKill), TARGET_DETECT_KILL_S);
        target("hung primary marked unhealthy", median(detectHang), TARGET_DETECT_HANG_S);
        target("write recovery after promotion, kill", median(recoverKill), TARGET_RECOVER_S);
        target("write recovery after promotion, hang", median(recoverHang), TARGET_RECOVER_S);
        System.out.printf(Locale.ROOT, "target: acknowledged writes lost = 0: %s%n",
                (lostOurs == 0) ? "met" : "MISSED (" + lostOurs + ")");
        target("DataSource: killed primary marked unhealthy", median(detectKillDataSource),
                TARGET_DETECT_KILL_DATASOURCE_S);
        target("DataSource: hung primary marked unhealthy", median(detectHangDataSource), TARGET_DETECT_HANG_S);
        target("DataSource: write recovery after promotion, kill", median(recoverKillDataSource), TARGET_RECOVER_S);
        target("DataSource: write recovery after promotion, hang", median(recoverHangDataSource), TARGET_RECOVER_S);
        System.out.printf(Locale.ROOT, "target: DataSource: committed transactions lost = 0: %s%n",
                (lostDataSource == 0) ? "met" : "MISSED (" + lostDataSource + ")");
        long falseFailovers = overloads.stream().filter(Overload.Outcome::falseFailover).count();
        System.out.printf(Locale.ROOT, "target: overload cycles with a false failover = 0: %s%n",
                (falseFailovers == 0) ? "met (0 of " + overloads.size() + ")"
                        : "MISSED (" + falseFailovers + " of " + overloads.size() + ")");
        return "result: failover " + keys("detect_kill_s", detectKill) + " " + keys("detect_hang_s", detectHang) + " "
                + keys("recover_s", recoverKill) + " " + keys("recover_hang_s", recoverHang) + " lost=" + lostOurs
                + " peer_recover_s=" + value(median(recover.get("kill/peer"))) + " peer_recover_hang_s="
                + value(median(recover.get("hang/peer"))) + " false_failovers=" + falseFailovers
                + " detect_kill_datasource_s=" + value(median(detectKillDataSource)) + " recover_kill_datasource_s="
                + value(median(recoverKillDataSource)) + " lost_datasource=" + lostDataSource + " "
                + keys("detect_hang_datasource_s", detectHangDataSource) + " recover_hang_datasource_s="
                + value(median(recoverHangDataSource));
    }

    /** The median with the smallest and largest value, for a table cell. */
    private static String spread(double[] values, Duration cap) {
        double[] known = Arrays.stream(values).filter((value) -> !Double.isNaN(value)).sorted().toArray();
        if (known.length < 2 || known[0] == known[known.length - 1]) {
            return seconds(median(values), cap);
        }
        return seconds(median(values), cap) + " (" + value(known[0]) + "-" + value(known[known.length - 1]) + ")";
    }

    /** {@code key=median key_max=...}: the worst cycle next to the typical one, for the result line. */
    private static String keys(String key, double[] values) {
        double max = Arrays.stream(values).filter((value) -> !Double.isNaN(value)).max().orElse(Double.NaN);
        return key + "=" + value(median(values)) + " " + key + "_max=" + value(max);
    }

    private static void target(String what, double seconds, double limit) {
        System.out.printf(Locale.ROOT, "target: %s <= %.1f s: %s%n", what, limit,
                (seconds <= limit) ? "met" : "MISSED");
    }

    /**
     * The median, NaN values left out; a timeout counts as infinitely long, so the median is infinite once half
     * the cycles or more timed out.
     */
    private static double median(double[] values) {
        double[] sorted = Arrays.stream(values).filter((value) -> !Double.isNaN(value)).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int middle = sorted.length / 2;
        return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static String seconds(double seconds, Duration cap) {
        if (Double.isNaN(seconds)) {
            return "n/a";
        }
        if (Double.isInfinite(seconds)) {
            return "timeout (> " + cap.toSeconds() + " s)";
        }
        return String.format(Locale.ROOT, "%.3f s", seconds);
    }

    private static String value(double seconds) {
        if (Double.isNaN(seconds)) {
            return "n/a";
        }
        if (Double.isInfinite(seconds)) {
            return "timeout";
        }
        return String.format(Locale.ROOT, "%.3f", seconds);
    }

}
