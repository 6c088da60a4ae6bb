package io.nexs.postgres.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ConsistencyToken;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.topology.TopologySettings;
import org.jspecify.annotations.Nullable;

/**
 * Read-your-writes against eventual reads on a primary with two asynchronous replicas, one of which applies
 * commits {@value #APPLY_DELAY_MILLIS} ms late ({@code recovery_min_apply_delay}). A writer inserts a row every
 * {@value #WRITE_INTERVAL_MICROS} µs through {@code PostgresProvider.exec}; {@value #READERS} readers look up the
 * row written last, each through the routed {@code DataSource} that {@code JdbcTemplate} and
 * {@code @Transactional} use (secondary-preferred, round-robin). A read that does not find its row is stale.
 *
 * <p>The two modes take turns, round by round, after a warm-up round of each: eventual (the writer's inserts run
 * in {@code ConsistencyScope.eventual}, so it takes no position, as under {@code consistency=eventual}) and
 * read-your-writes (the writer's scope takes the primary's position after each insert and publishes its token with
 * the row; each read runs in a scope opened with that token). The throughput ratio is paired by round
 * ({@link PairedRatio}); the wait is the time a read-your-writes read spends getting its connection, routing
 * included, at the 99th percentile. Then {@link RepositoryConsistency} runs a Spring Data JDBC repository on the
 * same cluster with the default settings.
 */
final class Consistency {

    static final int READERS = 4;

    static final int WRITE_INTERVAL_MICROS = 2000;

    static final int APPLY_DELAY_MILLIS = 1000;

    private static final String CREATE_TABLE = "create table items (id bigint primary key, body text not null)";

    private static final String INSERT = "insert into items values (?, 'written')";

    private static final String SELECT = "select count(*) from items where id = ?";

    private Consistency() {
    }

    /**
     * Runs the benchmark and prints its table.
     * @param quick the short run
     * @return the result line
     * @throws Exception when the cluster cannot be started
     */
    static String run(boolean quick) throws Exception {
        Benchmarks.useBundledBinaries();
        Benchmarks.quiet("io.nexs.postgres.topology");
        Benchmarks.quiet("io.nexs.postgres.pool");
        Benchmarks.quiet("com.zaxxer.hikari");
        int rounds = quick ? 6 : 15;
        Duration round = Duration.ofMillis(quick ? 1500 : 3000);
        try (PostgresCluster cluster = PostgresCluster.builder()
            .standbys(2)
            .durable(false)
            // durable(false) turns synchronous_commit off: commits would reach the replicas only when the WAL
            // writer flushes, every 200 ms, and no replica could be fresh
            .setting("synchronous_commit", "on")
            .start()) {
            PostgresNode delayed = cluster.standbys().get(1);
            Machine.describe("consistency", quick, cluster.primary(), "primary + 2 asynchronous standbys, "
                    + "fsync=off, synchronous_commit=on, " + delayed.name() + " with recovery_min_apply_delay="
                    + APPLY_DELAY_MILLIS + "ms");
            try (Connection connection = cluster.primary().connect();
                    Statement statement = connection.createStatement()) {
                statement.execute(CREATE_TABLE);
                statement.execute(RepositoryConsistency.CREATE_TABLE);
            }
            cluster.awaitReplay(Duration.ofSeconds(30));
            try (Connection connection = delayed.connect(); Statement statement = connection.createStatement()) {
                statement.execute("alter system set recovery_min_apply_delay = '" + APPLY_DELAY_MILLIS + "ms'");
                statement.execute("select pg_reload_conf()");
            }
            System.out.printf(Locale.ROOT, "%d readers and 1 writer (an insert every %d µs), %d rounds of %d ms per "
                    + "mode after a warm-up round of each, modes alternating; reads through the routed DataSource "
                    + "(secondary-preferred, round-robin), read-your-writes wait %d ms%n%n", READERS,
                    WRITE_INTERVAL_MICROS, rounds, round.toMillis(),
                    TopologySettings.DEFAULT_READ_YOUR_WRITES_WAIT.toMillis());
            List<NodeDefinition> definitions = new ArrayList<>();
            for (PostgresNode node : cluster.nodes()) {
                definitions.add(definition(node));
            }
            ClusterTopology topology = new DefaultClusterTopology(definitions, TopologySettings.defaults(),
                    List.of());
            topology.start();
            try (DefaultPostgresProvider provider = new DefaultPostgresProvider(topology,
                    new RowMappers(UnmappedColumns.IGNORE, null), PostgresTemplate.DEFAULT_FETCH_SIZE)) {
                String line = measure(provider, topology, rounds, round);
                return line + " " + RepositoryConsistency.measure(provider, cluster.primary(), rounds,
                        round.toMillis());
            }
        }
    }

    private static String measure(DefaultPostgresProvider provider, ClusterTopology topology, int rounds,
            Duration round) throws InterruptedException {
        RoutingDataSource reads = RoutingDataSource.reads(topology, ReadPreference.SECONDARY_PREFERRED);
        Outcome eventual = new Outcome();
        Outcome readYourWrites = new Outcome();
        Outcome eventualWrites = new Outcome();
        Outcome rywWrites = new Outcome();
        double[] eventualRates = new double[rounds];
        double[] rywRates = new double[rounds];
        long[] nextId = { 1 };
        for (int r = -1; r < rounds; r++) {
            boolean warmUp = r < 0;
            // the first mode of a round alternates, so neither always runs right after the other
            boolean rywFirst = (r & 1) == 1;
            for (int half = 0; half < 2; half++) {
                boolean ryw = (half == 0) == rywFirst;
                Outcome into = warmUp ? new Outcome() : (ryw ? readYourWrites : eventual);
                Outcome writes = warmUp ? new Outcome() : (ryw ? rywWrites : eventualWrites);
                double rate = round(provider, reads, ryw, round, nextId, into, writes);
                if (!warmUp) {
                    (ryw ? rywRates : eventualRates)[r] = rate;
                }
            }
        }
        PairedRatio ratio = PairedRatio.of(rywRates, eventualRates);
        double waitP99 = readYourWrites.waitPercentile(0.99);
        TextTable table = new TextTable("mode", "reads/s (median)", "reads", "stale reads", "connection wait p50 ms",
                "p99 ms", "max ms");
        table.row("eventual", format(PairedRatio.median(eventualRates), 0), String.valueOf(eventual.reads),
                String.valueOf(eventual.stale), format(eventual.waitPercentile(0.5), 2),
                format(eventual.waitPercentile(0.99), 2), format(eventual.waitPercentile(1), 2));
        table.row("read-your-writes", format(PairedRatio.median(rywRates), 0), String.valueOf(readYourWrites.reads),
                String.valueOf(readYourWrites.stale), format(readYourWrites.waitPercentile(0.5), 2),
                format(waitP99, 2), format(readYourWrites.waitPercentile(1), 2));
        table.print();
        System.out.println();
        System.out.println("read-your-writes / eventual reads/s, paired by round: " + ratio.cell());
        System.out.printf(Locale.ROOT, "writer's insert, median (p99): eventual %.2f ms (%.2f), read-your-writes %.2f ms "
                + "(%.2f), which takes the primary's position after each commit%n", eventualWrites.waitPercentile(0.5),
                eventualWrites.waitPercentile(0.99), rywWrites.waitPercentile(0.5), rywWrites.waitPercentile(0.99));
        System.out.println("targets: stale_reads_eventual > 0 (the case is real), stale_reads_ryw = 0, "
                + "ryw_vs_eventual >= 0.9");
        System.out.println();
        return String.format(Locale.ROOT,
                "result: consistency stale_reads_eventual=%d stale_reads_ryw=%d ryw_vs_eventual=%.2f "
                        + "ryw_wait_p99_ms=%.2f",
                eventual.stale, readYourWrites.stale, ratio.median(), waitP99);
    }

    /** One round of one mode: the writer and the readers run for its length; returns the readers' reads/s. */
    private static double round(DefaultPostgresProvider provider, RoutingDataSource reads, boolean ryw,
            Duration length, long[] nextId, Outcome into, Outcome writes) throws InterruptedException {
        AtomicReference<@Nullable Written> latest = new AtomicReference<>();
        AtomicBoolean running = new AtomicBoolean(true);
        // the first row of the round, so that readers never start from a row of the other mode
        latest.set(write(provider, ryw, nextId[0]++));
        Thread writer = new Thread(() -> {
            long next = System.nanoTime();
            while (running.get()) {
                next += TimeUnit.MICROSECONDS.toNanos(WRITE_INTERVAL_MICROS);
                long start = System.nanoTime();
                latest.set(write(provider, ryw, nextId[0]++));
                writes.record(System.nanoTime() - start, false);
                long pause = next - System.nanoTime();
                if (pause > 0) {
                    LockSupport.parkNanos(pause);
                }
            }
        }, "consistency-writer");
        Outcome[] outcomes = new Outcome[READERS];
        Thread[] readers = new Thread[READERS];
        for (int i = 0; i < READERS; i++) {
            Outcome outcome = new Outcome();
            outcomes[i] = outcome;
            readers[i] = new Thread(() -> {
                while (running.get()) {
                    read(reads, ryw, latest.get(), outcome);
                }
            }, "consistency-reader-" + i);
        }
        writer.start();
        long start = System.nanoTime();
        for (Thread reader : readers) {
            reader.start();
        }
        Thread.sleep(length.toMillis());
        running.set(false);
        for (Thread reader : readers) {
            reader.join();
        }
        long elapsed = System.nanoTime() - start;
        writer.join();
        long roundReads = 0;
        for (Outcome outcome : outcomes) {
            into.add(outcome);
            roundReads += outcome.reads;
        }
        return roundReads / (elapsed / 1e9);
    }

    private static Written write(DefaultPostgresProvider provider, boolean ryw, long id) {
        if (!ryw) {
            ConsistencyScope.eventual(() -> provider.exec(INSERT, id));
            return new Written(id, null);
        }
        try (ConsistencyScope scope = ConsistencyScope.open(null)) {
            provider.exec(INSERT, id);
            return new Written(id, scope.token());
        }
    }

    private static void read(RoutingDataSource reads, boolean ryw, Written row, Outcome outcome) {
        long start = System.nanoTime();
        try (ConsistencyScope scope = ryw ? ConsistencyScope.open(row.token()) : null;
                Connection connection = reads.getConnection()) {
            long waited = System.nanoTime() - start;
            try (PreparedStatement statement = connection.prepareStatement(SELECT)) {
                statement.setLong(1, row.id());
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    outcome.record(waited, rs.getLong(1) == 0);
                }
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("A read failed", ex);
        }
    }

    private static NodeDefinition definition(PostgresNode node) {
        Map<String, String> driver = new HashMap<>();
        driver.put("ApplicationName", "consistency");
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress(node.host(), node.port()),
                node.jdbcUrl(), node.username(), node.password(), driver);
        PoolSettings pool = new PoolSettings(10, 10, Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(30), Duration.ofMinutes(2), Duration.ofSeconds(5), Duration.ZERO, true, true,
                Duration.ofSeconds(30));
        return new NodeDefinition(node.name(), connection, pool, 1, Set.of());
    }

    private static String format(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** A row the writer committed, with the token of its commit under read-your-writes. */
    private record Written(long id, @Nullable ConsistencyToken token) {
    }

    /** What readers saw: reads, stale reads and the time each took to get its connection; or the writer's inserts. */
    private static final class Outcome {

        long reads;

        long stale;

        long[] waits = new long[1 << 12];

        void record(long waitNanos, boolean wasStale) {
            if (this.reads == this.waits.length) {
                this.waits = Arrays.copyOf(this.waits, this.waits.length * 2);
            }
            this.waits[(int) this.reads] = waitNanos;
            this.reads++;
            if (wasStale) {
                this.stale++;
            }
        }

        void add(Outcome other) {
            for (int i = 0; i < other.reads; i++) {
                record(other.waits[i], false);
            }
            this.stale += other.stale;
        }

        double waitPercentile(double q) {
            if (this.reads == 0) {
                return 0;
            }
            double[] sorted = new double[(int) this.reads];
            for (int i = 0; i < sorted.length; i++) {
                sorted[i] = this.waits[i] / 1e6;
            }
            Arrays.sort(sorted);
            return PairedRatio.quantile(sorted, q);
        }

    }

}
