package io.nexs.postgres.benchmarks;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.observe.PoolMetrics;
import io.nexs.postgres.observe.PostgresMetrics;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.TopologySettings;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;

import org.springframework.aop.support.AopUtils;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The {@code overhead} benchmark: what a primary-key lookup costs through nexs-postgres compared with raw
 * HikariCP and PgJDBC, and with Spring's {@code JdbcTemplate}, from {@value #THREADS} threads at once: through
 * {@code PostgresTemplate} on the same pool, and through the routed, monitored provider of a one-node cluster
 * with a pool of its own of the same size.
 *
 * <p>{@code PostgresTemplate} runs as the auto-configuration builds it: with the default {@link Retrier}
 * (queries outside a transaction go through it) and a {@link HookManager} with the default one-second timeout
 * and no hook registered ({@code ours}, the result line's {@code vs_raw}); with one trivial hook on
 * {@code afterQuery} ({@code ours_hooks}); and as {@code new PostgresTemplate(dataSource)} builds it, with
 * {@link HookManager#none()} and retries off ({@code ours_no_retry}, what {@code vs_raw} measured before retries
 * existed). Every measuring thread also counts the bytes it allocates
 * ({@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()}), so each contender's bytes per
 * lookup come from the same rounds as its throughput; the hook's are compared with the size of one
 * {@link HookContext}, the only allocation a hook may add. Then a one-row {@code exec} under auto-commit, plain and
 * with {@code settle-auto-commit-writes} on, in alternated slots of their own ({@code settled_exec_vs_exec}).
 *
 * <p>Then one-row write transactions ({@code datasource_tx_vs_raw}): {@code @Transactional} + {@code JdbcTemplate}
 * on the routed {@code DataSource} with the {@code transactionManager} the auto-configuration makes, next to the
 * same transaction by hand on HikariCP + PgJDBC, first on this server and then on a second one with PostgreSQL's
 * durable defaults ({@code fsync} and {@code synchronous_commit} on), where each commit waits for the disk as it
 * does for an application that relies on "committed" meaning durable. The round trips of one transaction of each
 * contender are counted from PgJDBC's messages ({@link RoundTrips}).
 *
 * <p>A plain load harness rather than JMH: each lookup is a network round trip, so what matters is the
 * contenders sharing one noisy machine fairly. The same threads run all of them, switching together to the next
 * contender every slot of twenty milliseconds, in rounds of rotating order (A, B, C, then B, C, A, then C, A, B,
 * ...). Each ratio is the median of the two contenders' ratios within each round ({@link PairedRatio}), printed
 * with the quartiles of those ratios: a round lasts a fraction of a second, so a neighbour on the machine busy for
 * longer slows both sides of a pair alike, and a shorter disturbance makes one outlying ratio that the median
 * ignores.
 */
final class Overhead {

    /** Rows in the table; lookups pick ids uniformly among them. */
    static final int ROWS = 100_000;

    /** Threads looking up rows at once. */
    static final int THREADS = 4;

    /** Connections in the pool: more than the threads, so no lookup waits for a connection. */
    static final int POOL_SIZE = 8;

    /** Target printed next to the result: ours keeps 97% of raw JDBC's throughput. */
    private static final double TARGET_VS_RAW = 0.97;

    /** Target for a one-row write transaction through {@code @Transactional} on the routed data source. */
    private static final double TARGET_TX_VS_RAW = 0.95;

    /**
     * Slot of the write transactions on the durable server: a commit there waits for the disk, so a slot of the
     * lookups' length would hold too few transactions to tell the contenders apart.
     */
    private static final long DURABLE_SLOT_MILLIS = 50;

    /** Target for the contender with metrics and tracing on. */
    private static final double TARGET_OBSERVED_VS_RAW = 0.93;

    /** One way to look up a customer by id. */
    @FunctionalInterface
    private interface Lookup {

        Customer find(long id) throws Exception;

    }

    private record Contender(String key, String label, Lookup lookup) {
    }

    /** What one round measured: lookups, the time they took, and the bytes the measuring threads allocated. */
    private record Round(double rate, long lookups, long bytes) {
    }

    /** Counts the queries it hears of: the cheapest hook there is, so its cost is the hook machinery's. */
    private static final class CountingHook implements PostgresHook {

        final LongAdder queries = new LongAdder();

        @Override
        public void afterQuery(HookContext context) {
            this.queries.increment();
        }

    }

    private static final com.sun.management.ThreadMXBean THREAD_BEAN =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Overhead() {
    }

    /**
     * Runs the benchmark and prints its table.
     * @param quick the short run
     * @return the result line
     * @throws Exception when the server, the data or a contender fails
     */
    static String run(boolean quick) throws Exception {
        // Slots of a few hundred lookups, a round of all contenders in about a seventh of a second: a neighbour on
        // the machine busy for longer slows both sides of a pair alike, and a minute holds hundreds of rounds.
        long warmupMillis = quick ? 1_500 : 5_000;
        long slotMillis = 20;
        long measureMillis = quick ? 60_000 : 240_000;
        try (PostgresNode node = Benchmarks.startNode();
                HikariDataSource dataSource = CustomerTable.pool(node.jdbcUrl(), node.username(), node.password(),
                        POOL_SIZE, "overhead")) {
            Machine.describe("overhead", quick, node);
            CustomerTable.create(dataSource, ROWS);

            JdbcTemplate jdbcTemplate = new JdbcTemplate(dataSource);
            RowMappers rowMappers = new RowMappers(UnmappedColumns.IGNORE, null);
            // What the auto-configuration gives an application that registered no hook: a real manager (hooks may
            // be registered at run time) with nexs.postgres.hooks.timeout's default, and retries on.
            HookManager noHooks = defaultHookManager();
            PostgresTemplate postgres = new PostgresTemplate(dataSource, rowMappers,
                    PostgresTemplate.DEFAULT_FETCH_SIZE, noHooks, defaultRetrier());
            PostgresTemplate bare = new PostgresTemplate(dataSource);
            HookManager oneHook = defaultHookManager();
            CountingHook hook = new CountingHook();
            oneHook.register(hook);
            PostgresTemplate hooked = new PostgresTemplate(dataSource, rowMappers,
                    PostgresTemplate.DEFAULT_FETCH_SIZE, oneHook, defaultRetrier());
            DefaultPostgresProvider routed = routedProvider(node, rowMappers, noHooks);
            ObservedOperations observed = new ObservedOperations();
            HookManager observingHooks = defaultHookManager();
            observingHooks.register(observed.hook("overhead"));
            DefaultPostgresProvider routedObserved = routedProvider(node, rowMappers, observingHooks);
            PostgresMetrics metrics = new PostgresMetrics(routedObserved);
            observingHooks.register(metrics);
            metrics.bindTo(observed.meters);
            new PoolMetrics(routedObserved).bindTo(observed.meters);
            List<Contender> contenders = List.of(
                    new Contender("raw", "HikariCP + PgJDBC by hand (limit)", id -> raw(dataSource, id)),
                    new Contender("jdbc_template", "Spring JdbcTemplate.queryForObject, hand-written RowMapper",
                            id -> jdbcTemplate.queryForObject(CustomerTable.SELECT_BY_ID, CustomerTable.HANDWRITTEN,
                                    id)),
                    new Contender("ours", "nexs PostgresTemplate.queryOne -> record (defaults: retries, no hook)",
                            id -> postgres.queryOne(Customer.class, CustomerTable.SELECT_BY_ID, id).orElseThrow()),
                    new Contender("ours_no_retry", "nexs PostgresTemplate.queryOne, no retrier, HookManager.none()",
                            id -> bare.queryOne(Customer.class, CustomerTable.SELECT_BY_ID, id).orElseThrow()),
                    new Contender("ours_hooks", "nexs PostgresTemplate.queryOne, one afterQuery hook",
                            id -> hooked.queryOne(Customer.class, CustomerTable.SELECT_BY_ID, id).orElseThrow()),
                    new Contender("ours_routed", "nexs PostgresProvider.queryOne -> record, routed, monitored",
                            id -> routed.queryOne(Customer.class, CustomerTable.SELECT_BY_ID, id).orElseThrow()),
                    new Contender("ours_observed",
                            "nexs PostgresProvider.queryOne, routed, metrics (Prometheus) and tracing (Brave, 10% sampled)",
                            id -> routedObserved.queryOne(Customer.class, CustomerTable.SELECT_BY_ID, id)
                                .orElseThrow()));
            // Writes outside a transaction, plain and settled (settle-auto-commit-writes): what settling costs.
            PostgresTemplate settled = new PostgresTemplate(dataSource, rowMappers,
                    PostgresTemplate.DEFAULT_FETCH_SIZE, noHooks, new Retrier(
                            RetrySettings.defaults().withSettleAutoCommitWrites(true), TransientErrors.defaults()));
            List<Contender> writes = List.of(
                    new Contender("exec", "nexs PostgresTemplate.exec, one-row update under auto-commit (defaults)",
                            id -> updated(id, postgres.exec(UPDATE_BY_ID, id))),
                    new Contender("exec_settled", "nexs PostgresTemplate.exec, settle-auto-commit-writes on",
                            id -> updated(id, settled.exec(UPDATE_BY_ID, id))));
            try {
                String result = measure(contenders, warmupMillis, slotMillis, measureMillis) + " "
                        + measureWrites(writes, warmupMillis, slotMillis, measureMillis / 4) + " "
                        + measureTransactions(node, "fsync_off", warmupMillis, slotMillis, measureMillis / 4, true);
                if (hook.queries.sum() == 0) {
                    throw new IllegalStateException("the hook never ran");
                }
                if (observed.spans.sum() == 0 || !observed.meters.scrape().contains("db_query_duration_seconds_bucket")) {
                    throw new IllegalStateException("the observed contender made no spans or no duration histogram");
                }
                // The same transactions where commits wait for the disk, as PostgreSQL's defaults make them.
                try (PostgresNode durable = Benchmarks.durableNode()) {
                    result += " " + measureTransactions(durable, "", warmupMillis, DURABLE_SLOT_MILLIS,
                            measureMillis / 2, false);
                }
                return result;
            }
            finally {
                routed.close();
                routedObserved.close();
                observingHooks.close();
                observed.close();
                noHooks.close();
                oneHook.close();
            }
        }
    }

    /** A one-row write for the exec contenders. */
    private static final String UPDATE_BY_ID = "update customer set score = score + 1 where id = ?";

    /** The customer an exec contender reports: only its id is checked. */
    private static Customer updated(long id, int rows) {
        if (rows != 1) {
            throw new IllegalStateException(rows + " rows updated for id " + id);
        }
        return new Customer(id, null, null, 0, null, false, null, null, null, 0);
    }

    /**
     * What settling auto-commit writes costs: the two exec contenders in alternated slots, as the lookups are
     * measured. On this server {@code synchronous_commit} is off, so a commit waits for no disk and the two round
     * trips settling adds weigh as much as they can.
     */
    private static String measureWrites(List<Contender> writes, long warmupMillis, long slotMillis,
            long measureMillis) throws Exception {
        int n = writes.size();
        int rounds = (int) (measureMillis / (slotMillis * n));
        for (Contender contender : writes) {
            round(contender.lookup(), warmupMillis);
        }
        Slots slots = slots(writes, rounds, slotMillis);
        double[][] rates = new double[n][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int s = r * n + k;
                rates[(r + k) % n][r] = slots.lookups()[s] * 1e9 / slots.nanos()[s];
            }
        }
        int plain = index(writes, "exec");
        int settledIndex = index(writes, "exec_settled");
        PairedRatio settledVsPlain = PairedRatio.of(rates[settledIndex], rates[plain]);
        System.out.printf(Locale.ROOT, "writes: %d rounds of one %d ms slot each; exec %,.0f/s, settled exec "
                + "%,.0f/s (medians); settled/plain %s%n", rounds, slotMillis, PairedRatio.median(rates[plain]),
                PairedRatio.median(rates[settledIndex]), settledVsPlain.cell());
        return settledVsPlain.keys("settled_exec_vs_exec");
    }

    /**
     * One-row write transactions: by hand on a plain pool (the limit), through {@code @Transactional} +
     * {@code JdbcTemplate} with Spring's own transaction manager on that pool, and through {@code @Transactional} +
     * {@code JdbcTemplate} on the routed data source of a provider as the auto-configuration wires it (the defaults;
     * {@code verify-commit} off; the other read consistency, with {@code verify-commit} on and off: each provider's
     * retrier, shared with its transaction manager, decides whether its primary connections settle commits), in
     * slots as the lookups are measured, each round in a random order. Every side has a pool of {@value #POOL_SIZE}
     * on the same server and writes to the same table.
     * @param node the server
     * @param suffix appended to every key of the result: which server it is
     * @param countTrips whether to count and print the round trips of one transaction of each contender first
     * @return the keys for the result line
     */
    private static String measureTransactions(PostgresNode node, String suffix, long warmupMillis, long slotMillis,
            long measureMillis, boolean countTrips) throws Exception {
        RowMappers rowMappers = new RowMappers(UnmappedColumns.IGNORE, null);
        ReadConsistency defaultConsistency = TopologySettings.defaults().consistency();
        ReadConsistency otherConsistency = (defaultConsistency == ReadConsistency.READ_YOUR_WRITES)
                ? ReadConsistency.EVENTUAL : ReadConsistency.READ_YOUR_WRITES;
        TopologySettings other = TopologySettings.defaults()
            .withConsistency(otherConsistency, TopologySettings.defaults().readYourWritesWait());
        try (HikariDataSource pool = CustomerTable.pool(node.jdbcUrl(), node.username(), node.password(), POOL_SIZE,
                "overhead-tx");
                DefaultPostgresProvider routed = routedProvider(node, rowMappers, HookManager.none());
                DefaultPostgresProvider unverified = routedProvider(node, rowMappers, HookManager.none(),
                        TopologySettings.defaults(), new Retrier(RetrySettings.defaults().withVerifyCommit(false),
                                TransientErrors.defaults()));
                DefaultPostgresProvider routedOther = routedProvider(node, rowMappers, HookManager.none(), other,
                        defaultRetrier());
                DefaultPostgresProvider otherUnverified = routedProvider(node, rowMappers, HookManager.none(), other,
                        new Retrier(RetrySettings.defaults().withVerifyCommit(false), TransientErrors.defaults()));
                AnnotationConfigApplicationContext context = Payments.context(pool, routed, unverified,
                        routedOther, otherUnverified)) {
            Payments.createTable(pool);
            Payments payments = context.getBean(Payments.class);
            if (!AopUtils.isCglibProxy(payments)) {
                throw new IllegalStateException("the service is not proxied: " + payments.getClass());
            }
            String otherKey = "tx_" + otherConsistency.name().toLowerCase(Locale.ROOT);
            List<Contender> contenders = List.of(
                    new Contender("tx_raw", "HikariCP + PgJDBC by hand: setAutoCommit(false), insert, commit()",
                            id -> updated(id, Payments.payByHand(pool, id))),
                    new Contender("tx_raw_recorded", "the same by hand, CommitOutcomeCheck.record before commit()",
                            id -> updated(id, Payments.payByHand(pool, id, true))),
                    new Contender("tx_spring", "@Transactional + JdbcTemplate, Spring's JdbcTransactionManager, "
                            + "same pool", id -> updated(id, payments.payPlain(id))),
                    new Contender("tx", "@Transactional + JdbcTemplate, routed DataSource, PostgresTransactionManager "
                            + "(defaults, " + consistencyName(defaultConsistency) + ")",
                            id -> updated(id, payments.pay(id))),
                    new Contender("tx_unverified", "the same with verify-commit off",
                            id -> updated(id, payments.payUnverified(id))),
                    new Contender(otherKey, "the same with verify-commit on, " + consistencyName(otherConsistency),
                            id -> updated(id, payments.payOther(id))),
                    new Contender(otherKey + "_unverified", "the same with verify-commit off, "
                            + consistencyName(otherConsistency), id -> updated(id, payments.payOtherUnverified(id))));
            // every contender writes exactly one row per call, and commits it
            long before = Payments.count(pool);
            for (Contender contender : contenders) {
                contender.lookup().find(1);
            }
            if (Payments.count(pool) != before + contenders.size()) {
                throw new IllegalStateException("the contenders did not commit one row each");
            }
            StringBuilder keys = new StringBuilder();
            if (countTrips) {
                keys.append(countRoundTrips(contenders));
            }
            int n = contenders.size();
            int rounds = (int) (measureMillis / (slotMillis * n));
            for (Contender contender : contenders) {
                round(contender.lookup(), warmupMillis);
            }
            // Every round in an order of its own: a commit's wait for the disk depends on the commits just before
            // it, so no contender may always follow the same one, as in a rotation.
            int[] owner = shuffledRounds(n, rounds);
            Slots slots = slots(contenders, owner, slotMillis, true);
            double[][] rates = new double[n][rounds];
            // each slot's median time per transaction
            double[][] times = new double[n][rounds];
            for (int s = 0; s < owner.length; s++) {
                rates[owner[s]][s / n] = slots.lookups()[s] * 1e9 / slots.nanos()[s];
                times[owner[s]][s / n] = slots.medianNanos()[s];
            }
            int raw = index(contenders, "tx_raw");
            System.out.printf(Locale.ROOT, "write transactions, %s: %d rounds of one %d ms slot per contender, "
                    + "each round in a random order%n",
                    Payments.durability(pool), rounds, slotMillis);
            TextTable table = new TextTable("contender", "transactions/s (median)", "vs raw (p25-p75)",
                    "ms per transaction (median)");
            for (int c = 0; c < n; c++) {
                table.row(contenders.get(c).label(), format("%,.0f", PairedRatio.median(rates[c])),
                        PairedRatio.of(rates[c], rates[raw]).cell(), format("%.3f", 1e-6 * PairedRatio.median(times[c])));
            }

            table.print();
            System.out.println("vs raw: the median of the ratios within each round; ms per transaction: the median "
                    + "over the rounds of each slot's median time");
            String tail = suffix.isEmpty() ? "" : "_" + suffix;
            PairedRatio headline = PairedRatio.of(rates[index(contenders, "tx")], rates[raw]);
            System.out.printf(Locale.ROOT, "target: datasource_tx_vs_raw%s >= %.2f: %s (%s)%n%n", tail,
                    TARGET_TX_VS_RAW, (headline.median() >= TARGET_TX_VS_RAW) ? "met" : "MISSED", headline.cell());
            int defaultIndex = index(contenders, "tx");
            int otherIndex = index(contenders, otherKey);
            int unverifiedIndex = index(contenders, "tx_unverified");
            int otherUnverifiedIndex = index(contenders, otherKey + "_unverified");
            boolean rywDefault = defaultConsistency == ReadConsistency.READ_YOUR_WRITES;
            int ryw = rywDefault ? defaultIndex : otherIndex;
            int eventual = rywDefault ? otherIndex : defaultIndex;
            int rywUnverified = rywDefault ? unverifiedIndex : otherUnverifiedIndex;
            int eventualUnverified = rywDefault ? otherUnverifiedIndex : unverifiedIndex;
            keys.append(headline.keys("datasource_tx_vs_raw" + tail)).append(' ')
                .append(PairedRatio.of(rates[index(contenders, "tx_unverified")], rates[raw])
                    .keys("datasource_tx_unverified_vs_raw" + tail))
                .append(' ')
                .append(PairedRatio.of(rates[ryw], rates[raw]).keys("datasource_tx_ryw_vs_raw" + tail))
                .append(' ')
                .append(PairedRatio.of(rates[eventual], rates[raw]).keys("datasource_tx_eventual_vs_raw" + tail))
                .append(' ')
                .append(PairedRatio.of(rates[rywUnverified], rates[raw])
                    .keys("datasource_tx_ryw_unverified_vs_raw" + tail))
                .append(' ')
                .append(PairedRatio.of(rates[eventualUnverified], rates[raw])
                    .keys("datasource_tx_eventual_unverified_vs_raw" + tail))
                .append(' ')
                .append(PairedRatio.of(rates[index(contenders, "tx_spring")], rates[raw])
                    .keys("spring_tx_vs_raw" + tail))
                .append(' ')
                .append(PairedRatio.of(rates[index(contenders, "tx_raw_recorded")], rates[raw])
                    .keys("recorded_tx_vs_raw" + tail))
                .append(String.format(Locale.ROOT, " raw_tx_per_s%s=%.0f", tail, PairedRatio.median(rates[raw])));
            return keys.toString();
        }
    }

    /**
     * Rounds of every contender once, each round in its own random order (the same orders from run to run).
     * @return the contender of each slot
     */
    private static int[] shuffledRounds(int contenders, int rounds) {
        Random random = new Random(22);
        int[] owner = new int[contenders * rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < contenders; k++) {
                owner[r * contenders + k] = k;
            }
            for (int k = contenders - 1; k > 0; k--) {
                int other = random.nextInt(k + 1);
                int kept = owner[r * contenders + k];
                owner[r * contenders + k] = owner[r * contenders + other];
                owner[r * contenders + other] = kept;
            }
        }
        return owner;
    }

    private static String consistencyName(ReadConsistency consistency) {
        return (consistency == ReadConsistency.READ_YOUR_WRITES) ? "read-your-writes" : "eventual reads";
    }

    /**
     * Counts the round trips of one transaction of each contender, from the messages PgJDBC sends
     * ({@link RoundTrips}), and prints the statements of each round trip. The first call of each contender is not
     * counted: its connection may have been idle long enough for the pool to check it first.
     * @return the keys for the result line: round trips per transaction
     */
    private static String countRoundTrips(List<Contender> contenders) throws Exception {
        StringBuilder keys = new StringBuilder();
        System.out.println("round trips of one transaction (PgJDBC's messages, one Sync each):");
        for (Contender contender : contenders) {
            contender.lookup().find(1);
            List<List<String>> calls = new ArrayList<>();
            try (RoundTrips trips = RoundTrips.start()) {
                for (int call = 0; call < 8; call++) {
                    contender.lookup().find(1 + call);
                    calls.add(trips.take());
                }
            }
            int[] counts = calls.stream().mapToInt(List::size).sorted().toArray();
            int median = counts[counts.length / 2];
            System.out.printf(Locale.ROOT, "  %-14s %d  %s%n", contender.key(), median,
                    String.join("  |  ", calls.get(0)));
            if (counts[0] != counts[counts.length - 1]) {
                System.out.printf(Locale.ROOT, "  %-14s    (from %d to %d in 8 calls)%n", "", counts[0],
                        counts[counts.length - 1]);
            }
            keys.append("trips_").append(contender.key()).append('=').append(median).append(' ');
        }
        System.out.println();
        return keys.toString();
    }

    private static HookManager defaultHookManager() {
        return new HookManager(Duration.ofSeconds(1), false);
    }

    private static Retrier defaultRetrier() {
        return new Retrier(RetrySettings.defaults(), TransientErrors.defaults());
    }

    /**
     * The provider as the auto-configuration builds it for a one-node cluster: the same pool size, the topology
     * monitor checking the node every second, reads routed by the read preference, retries on, hooks as given.
     */
    private static DefaultPostgresProvider routedProvider(PostgresNode node, RowMappers rowMappers,
            HookManager hooks) {
        return routedProvider(node, rowMappers, hooks, TopologySettings.defaults(), defaultRetrier());
    }

    /**
     * The provider as {@link #routedProvider(PostgresNode, RowMappers, HookManager)}, with these settings and this
     * retrier (whose settings also decide whether commits on its routed data source are recorded and settled).
     */
    private static DefaultPostgresProvider routedProvider(PostgresNode node, RowMappers rowMappers,
            HookManager hooks, TopologySettings settings, Retrier retrier) {
        Map<String, String> driver = new HashMap<>();
        driver.put("ApplicationName", "overhead-routed");
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress(node.host(), node.port()),
                node.jdbcUrl(), node.username(), node.password(), driver);
        PoolSettings pool = new PoolSettings(POOL_SIZE, POOL_SIZE, Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(30), Duration.ofMinutes(2), Duration.ofSeconds(5), Duration.ZERO, true, true,
                Duration.ofSeconds(5));
        ClusterTopology topology = new DefaultClusterTopology(List.of(NodeDefinition.of(connection, pool)),
                settings, List.of());
        topology.start();
        return new DefaultPostgresProvider(topology, rowMappers, PostgresTemplate.DEFAULT_FETCH_SIZE, hooks,
                retrier);
    }

    private static String measure(List<Contender> contenders, long warmupMillis, long slotMillis,
            long measureMillis) throws Exception {
        verify(contenders);
        if (!THREAD_BEAN.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("this JVM cannot count the bytes a thread allocates");
        }
        THREAD_BEAN.setThreadAllocatedMemoryEnabled(true);

        int n = contenders.size();
        int rounds = (int) (measureMillis / (slotMillis * n));
        System.out.printf(Locale.ROOT, "%d threads, pool of %d, %,d rows, random ids; warm-up 2 x %d ms each, "
                + "then %d rounds of one %d ms slot per contender, in rotating order, on the same threads%n",
                THREADS, POOL_SIZE, ROWS, warmupMillis, rounds, slotMillis);
        // Two passes: the first contender would otherwise pay alone for compiling the code all of them share
        // (PgJDBC, HikariCP).
        for (int pass = 0; pass < 2; pass++) {
            StringBuilder line = new StringBuilder("warm-up ");
            for (Contender contender : contenders) {
                line.append(String.format(Locale.ROOT, "  %s %,.0f/s", contender.key(),
                        round(contender.lookup(), warmupMillis).rate()));
            }
            System.out.println(line);
        }

        Slots slots = slots(contenders, rounds, slotMillis);
        double[][] rates = new double[n][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int s = r * n + k;
                rates[(r + k) % n][r] = slots.lookups()[s] * 1e9 / slots.nanos()[s];
            }
        }
        // Each stretch's own ratios show at a glance whether the machine was steady.
        int raw = index(contenders, "raw");
        int ours = index(contenders, "ours");
        int stretch = Math.max(n, rounds / 6);
        for (int first = 0; first < rounds; first += stretch) {
            int last = Math.min(rounds, first + stretch);
            System.out.printf(Locale.ROOT, "rounds %4d-%4d  raw %,.0f lookups/s  ours/raw %s%n", first + 1, last,
                    PairedRatio.median(Arrays.copyOfRange(rates[raw], first, last)),
                    PairedRatio.of(Arrays.copyOfRange(rates[ours], first, last),
                            Arrays.copyOfRange(rates[raw], first, last)).cell());
        }
        System.out.println();
        double[] bytesPerLookup = new double[n];
        for (int c = 0; c < n; c++) {
            bytesPerLookup[c] = slots.bytes()[c] / (double) slots.lookupsOf()[c];
        }
        return report(contenders, rates, bytesPerLookup, contextBytes());
    }

    /**
     * What {@link #slots} measured: lookups started and nanoseconds taken in each slot, and lookups and bytes
     * allocated by the threads per contender.
     */
    private record Slots(long[] lookups, long[] nanos, long[] lookupsOf, long[] bytes, double[] medianNanos) {
    }

    /** The time each call of one thread took, and the slot it started in. */
    private static final class Timings {

        int size;

        int[] slots = new int[1024];

        long[] nanos = new long[1024];

        void add(int slot, long elapsed) {
            if (this.size == this.slots.length) {
                this.slots = Arrays.copyOf(this.slots, this.size * 2);
                this.nanos = Arrays.copyOf(this.nanos, this.size * 2);
            }
            this.slots[this.size] = slot;
            this.nanos[this.size] = elapsed;
            this.size++;
        }

    }

    /**
     * Runs every contender on the same {@value #THREADS} threads, switching all of them to the next contender every
     * slot: slot {@code s} of round {@code r} belongs to contender {@code (r + s) % n}. A lookup counts for the slot
     * in which it started; one straddles each switch, on every side alike.
     */
    private static Slots slots(List<Contender> contenders, int rounds, long slotMillis) throws InterruptedException {
        int n = contenders.size();
        int[] owner = new int[rounds * n];
        for (int s = 0; s < owner.length; s++) {
            owner[s] = (s / n + s % n) % n;
        }
        return slots(contenders, owner, slotMillis, false);
    }

    /**
     * Runs the contenders as {@link #slots(List, int, long)} does, slot {@code s} belonging to contender
     * {@code owner[s]}, and, when asked, also times every call, so that
     * each slot has the median time its calls took ({@link Slots#medianNanos()}, empty otherwise): where a few
     * calls stall (a commit waiting for a busy disk), the count of calls in a slot moves with them and the median
     * time does not.
     */
    private static Slots slots(List<Contender> contenders, int[] owner, long slotMillis, boolean timeEach)
            throws InterruptedException {
        int n = contenders.size();
        int total = owner.length;
        AtomicInteger current = new AtomicInteger();
        AtomicLongArray started = new AtomicLongArray(total);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        long[][] lookupsOf = new long[THREADS][n];
        long[][] bytes = new long[THREADS][n];
        Timings[] timings = new Timings[THREADS];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            timings[t] = new Timings();
            Thread thread = new Thread(() -> {
                long[] myLookups = lookupsOf[index];
                long[] myBytes = bytes[index];
                Timings myTimings = timings[index];
                try {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    ready.countDown();
                    go.await();
                    int s;
                    while ((s = current.get()) < total) {
                        int c = owner[s];
                        long id = random.nextLong(1, ROWS + 1);
                        long before = THREAD_BEAN.getCurrentThreadAllocatedBytes();
                        long callStart = timeEach ? System.nanoTime() : 0;
                        // Checking the id also keeps the JIT from dropping the mapped object.
                        if (contenders.get(c).lookup().find(id).id() != id) {
                            throw new IllegalStateException("wrong customer for id " + id);
                        }
                        if (timeEach) {
                            myTimings.add(s, System.nanoTime() - callStart);
                        }
                        myBytes[c] += THREAD_BEAN.getCurrentThreadAllocatedBytes() - before;
                        myLookups[c]++;
                        started.incrementAndGet(s);
                    }
                }
                catch (Throwable ex) {
                    failure.compareAndSet(null, ex);
                    current.set(total);
                }
            }, "overhead-" + t);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        long[] nanos = new long[total];
        go.countDown();
        long start = System.nanoTime();
        for (int s = 0; s < total && failure.get() == null; s++) {
            current.set(s);
            Thread.sleep(slotMillis);
            long now = System.nanoTime();
            nanos[s] = now - start;
            start = now;
        }
        current.set(total);
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a lookup failed", failure.get());
        }
        long[] lookups = new long[total];
        for (int s = 0; s < total; s++) {
            lookups[s] = started.get(s);
        }
        long[] lookupsPerContender = new long[n];
        long[] bytesPerContender = new long[n];
        for (int t = 0; t < THREADS; t++) {
            for (int c = 0; c < n; c++) {
                lookupsPerContender[c] += lookupsOf[t][c];
                bytesPerContender[c] += bytes[t][c];
            }
        }
        double[] medianNanos = new double[timeEach ? total : 0];
        if (timeEach) {
            int[] calls = new int[total];
            for (Timings timing : timings) {
                for (int i = 0; i < timing.size; i++) {
                    calls[timing.slots[i]]++;
                }
            }
            double[][] bySlot = new double[total][];
            for (int slot = 0; slot < total; slot++) {
                bySlot[slot] = new double[calls[slot]];
            }
            int[] filled = new int[total];
            for (Timings timing : timings) {
                for (int i = 0; i < timing.size; i++) {
                    int slot = timing.slots[i];
                    bySlot[slot][filled[slot]++] = timing.nanos[i];
                }
            }
            for (int slot = 0; slot < total; slot++) {
                medianNanos[slot] = (calls[slot] > 0) ? PairedRatio.median(bySlot[slot]) : Double.NaN;
            }
        }
        return new Slots(lookups, nanos, lookupsPerContender, bytesPerContender, medianNanos);
    }

    /** The limit: borrow a connection, prepare, bind, execute, read the row by hand, give everything back. */
    private static Customer raw(DataSource dataSource, long id) throws Exception {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(CustomerTable.SELECT_BY_ID)) {
            statement.setLong(1, id);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no customer " + id);
                }
                return CustomerTable.read(rs);
            }
        }
    }

    /** Every contender must return the same customer for the same ids before any is timed. */
    private static void verify(List<Contender> contenders) throws Exception {
        for (long id : new long[] { 1, 4242, 77_777, ROWS }) {
            Customer expected = contenders.get(0).lookup().find(id);
            if (expected.id() != id) {
                throw new IllegalStateException("raw lookup of " + id + " returned " + expected);
            }
            for (Contender contender : contenders) {
                Customer actual = contender.lookup().find(id);
                if (!expected.equals(actual)) {
                    throw new IllegalStateException(contender.label() + " returned " + actual + " for id " + id
                            + " instead of " + expected);
                }
            }
        }
        System.out.println("verified: every contender returns the same customers");
    }

    /**
     * The size of one {@link HookContext}, measured the way the rounds measure: the bytes of many contexts kept
     * reachable, so none is optimised away, divided by their number.
     */
    private static long contextBytes() {
        HookContext[] kept = new HookContext[1_000];
        long best = Long.MAX_VALUE;
        // the smallest of a few passes: the first may include the class's own start-up
        for (int pass = 0; pass < 5; pass++) {
            long before = THREAD_BEAN.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < kept.length; i++) {
                kept[i] = HookContext.custom("overhead");
            }
            best = Math.min(best, (THREAD_BEAN.getCurrentThreadAllocatedBytes() - before) / kept.length);
        }
        return best;
    }

    /**
     * One round: {@value #THREADS} threads look up random ids for a while.
     * @return completed lookups per second, and the lookups and bytes allocated by the threads in all
     */
    private static Round round(Lookup lookup, long millis) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        long[] counts = new long[THREADS];
        long[] allocated = new long[THREADS];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                long count = 0;
                long bytesBefore = 0;
                try {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    ready.countDown();
                    go.await();
                    bytesBefore = THREAD_BEAN.getCurrentThreadAllocatedBytes();
                    while (!stop.get()) {
                        long id = random.nextLong(1, ROWS + 1);
                        // Checking the id also keeps the JIT from dropping the mapped object.
                        if (lookup.find(id).id() != id) {
                            throw new IllegalStateException("wrong customer for id " + id);
                        }
                        count++;
                    }
                }
                catch (Throwable ex) {
                    failure.compareAndSet(null, ex);
                    stop.set(true);
                }
                allocated[index] = THREAD_BEAN.getCurrentThreadAllocatedBytes() - bytesBefore;
                counts[index] = count;
            }, "overhead-" + t);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        Thread.sleep(millis);
        stop.set(true);
        for (Thread thread : threads) {
            thread.join();
        }
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("a lookup failed", failure.get());
        }
        long lookups = Arrays.stream(counts).sum();
        return new Round(lookups * 1e9 / elapsed, lookups, Arrays.stream(allocated).sum());
    }

    private static String report(List<Contender> contenders, double[][] rates, double[] bytesPerLookup,
            long contextBytes) {
        int raw = index(contenders, "raw");
        TextTable table = new TextTable("contender", "lookups/s (median)", "p25", "p75", "vs raw (p25-p75)",
                "bytes/lookup");
        for (int c = 0; c < contenders.size(); c++) {
            double[] sorted = rates[c].clone();
            Arrays.sort(sorted);
            table.row(contenders.get(c).label(), format("%,.0f", PairedRatio.quantile(sorted, 0.5)),
                    format("%,.0f", PairedRatio.quantile(sorted, 0.25)),
                    format("%,.0f", PairedRatio.quantile(sorted, 0.75)), PairedRatio.of(rates[c], rates[raw]).cell(),
                    format("%,.0f", bytesPerLookup[c]));
        }
        table.print();
        System.out.println("vs raw: the median of the ratios within each round, with the quartiles of those ratios");
        System.out.println();

        int ours = index(contenders, "ours");
        int hooks = index(contenders, "ours_hooks");
        int noRetry = index(contenders, "ours_no_retry");
        int observed = index(contenders, "ours_observed");
        PairedRatio vsRaw = PairedRatio.of(rates[ours], rates[raw]);
        PairedRatio observedVsRaw = PairedRatio.of(rates[observed], rates[raw]);
        PairedRatio hooksVsRaw = PairedRatio.of(rates[hooks], rates[raw]);
        // bytes are averaged over millions of lookups; a fraction of a byte is rounding, not an allocation
        long hookBytes = Math.round(bytesPerLookup[hooks] - bytesPerLookup[ours]);
        System.out.printf(Locale.ROOT, "bytes/lookup: what the measuring threads allocated per lookup (driver and "
                + "pool included); one HookContext is %d bytes, the hook added %d%n", contextBytes, hookBytes);
        System.out.printf(Locale.ROOT, "target: vs_raw >= %.2f: %s (%s)%n", TARGET_VS_RAW,
                (vsRaw.median() >= TARGET_VS_RAW) ? "met" : "MISSED", vsRaw.cell());
        System.out.printf(Locale.ROOT, "target: hooks_vs_raw >= %.2f: %s (%s)%n", TARGET_VS_RAW,
                (hooksVsRaw.median() >= TARGET_VS_RAW) ? "met" : "MISSED", hooksVsRaw.cell());
        System.out.printf(Locale.ROOT, "target: vs_raw_observed >= %.2f: %s (%s)%n", TARGET_OBSERVED_VS_RAW,
                (observedVsRaw.median() >= TARGET_OBSERVED_VS_RAW) ? "met" : "MISSED", observedVsRaw.cell());
        System.out.printf(Locale.ROOT, "target: a hook allocates nothing per call beyond its context (%d bytes): "
                + "%s%n", contextBytes, (hookBytes <= contextBytes) ? "met" : "MISSED (" + hookBytes + " bytes)");
        return "result: overhead " + vsRaw.keys("vs_raw") + " "
                + PairedRatio.of(rates[ours], rates[index(contenders, "jdbc_template")]).keys("vs_jdbc_template") + " "
                + PairedRatio.of(rates[index(contenders, "ours_routed")], rates[raw]).keys("routed_vs_raw") + " "
                + hooksVsRaw.keys("hooks_vs_raw") + " " + observedVsRaw.keys("vs_raw_observed") + " "
                + PairedRatio.of(rates[noRetry], rates[raw]).keys("no_retry_vs_raw")
                + " alloc_raw_b=" + Math.round(bytesPerLookup[raw]) + " alloc_nohooks_b="
                + Math.round(bytesPerLookup[ours]) + " alloc_hooks_b=" + Math.round(bytesPerLookup[hooks])
                + " alloc_no_retry_b=" + Math.round(bytesPerLookup[noRetry]) + " alloc_observed_b="
                + Math.round(bytesPerLookup[observed]) + " hook_context_b=" + contextBytes;
    }

    private static int index(List<Contender> contenders, String key) {
        for (int c = 0; c < contenders.size(); c++) {
            if (contenders.get(c).key().equals(key)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no contender " + key);
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }

}
