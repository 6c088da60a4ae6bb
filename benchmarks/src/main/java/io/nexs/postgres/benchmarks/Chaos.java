package io.nexs.postgres.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.pool.PoolStats;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import io.nexs.postgres.topology.TopologySettings;
import io.nexs.postgres.tx.CommitOutcomeUnknownException;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.RetryStatistics;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;

/**
 * The {@code chaos} benchmark: whether retried transactions keep their promises while sessions die under them.
 * {@value #WORKERS} workers run transactions through {@link DefaultPostgresProvider#inTransaction} with a
 * {@link Retrier} of {@value #MAX_ATTEMPTS} attempts, every transaction writing a key of its own, while a killer
 * thread, every {@value #MIN_KILL_PAUSE_MILLIS}-{@value #MAX_KILL_PAUSE_MILLIS} ms, ends a random busy session of
 * the workers' application ({@code pg_terminate_backend}) at least {@value #MIN_SESSION_AGE_MILLIS} ms old: in the
 * middle of a transaction, in {@code COMMIT}, in the commit-outcome check, or the topology monitor's during its
 * check.
 *
 * <p>A transaction inserts its key into {@code chaos_writes}, bumps its worker's row in {@code chaos_counters}
 * and reads the row back; with the library's transaction-id query before {@code COMMIT}, that is five round
 * trips for a kill to land in. {@code chaos_writes} has no unique constraint on the key, so a transaction applied
 * twice shows as two rows instead of being turned away. Each operation ends in one of four ways: committed;
 * unknown ({@link CommitOutcomeUnknownException}, which promises nothing); exhausted (a transient failure after
 * the last attempt, which promises the transaction did not commit); or any other failure, unclassified. Then, on
 * a connection of its own, the benchmark reads the tables and checks every promise:
 * <ul>
 * <li>{@code duplicates}: keys written more than once (a transaction run again after it had committed);</li>
 * <li>{@code lost}: operations reported committed whose key is not there;</li>
 * <li>{@code phantom}: operations that failed with a definite failure (exhausted or unclassified) whose key is
 * there anyway. Its own key, not counted in {@code unclassified_failures}, but part of the target;</li>
 * <li>{@code torn}: the difference between the workers' counters and their rows, that is transactions applied
 * in part.</li>
 * </ul>
 *
 * <p>Idle sessions are spared, and so are sessions younger than {@value #MIN_SESSION_AGE_MILLIS} ms. HikariCP opens
 * connections one at a time and pauses 30 ms after each, so a pool replaces about 30 a second, and a killer that
 * finds a victim every few milliseconds keeps it at one or two connections, each killed before it served
 * anything: the run then measures HikariCP's refill (an early version took four to five and a half minutes
 * for the quick run, at 30-60 operations a second, with kills mostly landing before a transaction's first
 * statement). Sparing the first milliseconds of a session lets it get into its transactions, where the kills
 * matter; kills still run at the 30 a second the pool can replace. A session killed while idle in the pool would
 * only fail its borrower's first statement, which never reached the server; that happens anyway to a session
 * whose kill lands after its last statement. Killing idle sessions also takes the topology monitor's check
 * connection every time: the node fails two checks in a row, is marked unhealthy and its pool aborted, and once
 * the workers' connections are gone the monitor's fresh ones are the only sessions left to kill, so the node never
 * passes two checks in a row again (the first version of this benchmark did 45 operations in ten minutes that
 * way).
 *
 * <p>The provider is the auto-configuration's over one node (shipped topology defaults, a pool of
 * {@value #POOL_SIZE}), with {@link HookManager#none()} and back-off from 2 ms doubling up to 100 ms, so that ten
 * attempts span about half a second. {@code --quick} runs {@value #QUICK_OPERATIONS} operations, or as many as
 * {@value #QUICK_MINUTES} minutes allow on a busy machine; the full run {@value #FULL_OPERATIONS}, or as many as
 * {@value #FULL_MINUTES} minutes allow (230-340 operations a second on two
 * cores: five to seven minutes). The result line counts the operations that ran.
 *
 * <p>Then {@link AutoCommitWrites} checks the same promises for writes outside a transaction, under session ends,
 * kills and hangs of the server; its keys follow on the same result line, prefixed {@code autocommit_}.
 */
final class Chaos {

    /** Threads running transactions. */
    static final int WORKERS = 8;

    /** Operations of the quick run. */
    static final int QUICK_OPERATIONS = 10_000;

    /** Operations of the full run at most. */
    static final int FULL_OPERATIONS = 100_000;

    /** How long the full run may take before workers stop taking new operations. */
    static final int FULL_MINUTES = 10;

    /**
     * How long the quick run may take: on an idle machine it needs under a minute, on a busy one its operations
     * slow down several times, and a quick run should stay quick.
     */
    static final int QUICK_MINUTES = 2;

    /** Executions of one transaction at most, the first included. */
    static final int MAX_ATTEMPTS = 10;

    /** Pause between two kills, drawn anew each time between these bounds. */
    static final int MIN_KILL_PAUSE_MILLIS = 1;

    static final int MAX_KILL_PAUSE_MILLIS = 5;

    /** Sessions younger than this are spared: long enough to get into a transaction or two. */
    static final int MIN_SESSION_AGE_MILLIS = 5;

    /** A connection per worker, and two for the commit-outcome checks, which borrow while a worker waits. */
    static final int POOL_SIZE = WORKERS + 2;

    /** The application name of the workers' sessions: the killer's targets. */
    static final String APPLICATION_NAME = "nexs-chaos";

    private static final String KILLER_NAME = "nexs-chaos-killer";

    /**
     * Ends a random busy session of the workers' application (not idle: running a statement, or in a
     * transaction) old enough to have done something, and says how many there were to choose from.
     */
    static final String KILL = "select sessions, pg_terminate_backend(pid) from (select pid, count(*) "
            + "over () as sessions from pg_stat_activity where application_name = '" + APPLICATION_NAME + "' "
            + "and pid <> pg_backend_pid() and state <> 'idle' and backend_start < clock_timestamp() - interval '"
            + MIN_SESSION_AGE_MILLIS + " milliseconds' order by random() limit 1) target";

    private static final String INSERT = "insert into chaos_writes (op_key, worker) values (?, ?)";

    private static final String BUMP = "update chaos_counters set ops = ops + 1 where worker = ?";

    private static final String READ_BACK = "select ops from chaos_counters where worker = ?";

    /** Unclassified failures printed in full; the rest are only counted. */
    private static final int SHOWN_FAILURES = 5;

    private static final byte COMMITTED = 1;

    private static final byte UNKNOWN = 2;

    private static final byte EXHAUSTED = 3;

    private static final byte UNCLASSIFIED = 4;

    private Chaos() {
    }

    /**
     * Runs the benchmark and prints its table.
     * @param quick the short run
     * @return the result line
     * @throws Exception when the server or the set-up fails, or a worker dies of an error
     */
    static String run(boolean quick) throws Exception {
        // Every kill makes the pool warn about a broken connection, dozens a second: the table says what
        // happened instead. -Dorg.slf4j.simpleLogger.log.<logger>=warn brings them back.
        Benchmarks.quiet("com.zaxxer.hikari");
        Benchmarks.quiet("io.nexs.postgres.pool");
        Benchmarks.quiet("io.nexs.postgres.topology");
        int operations = quick ? QUICK_OPERATIONS : FULL_OPERATIONS;
        int minutes = quick ? QUICK_MINUTES : FULL_MINUTES;
        Duration limit = Duration.ofMinutes(minutes);
        String transactions;
        try (PostgresNode node = Benchmarks.startNode()) {
            Machine.describe("chaos", quick, node);
            createTables(node);
            System.out.printf(Locale.ROOT, "%,d operations%s by %d workers, each a transaction (insert its key, "
                    + "bump the worker's counter, read it back); a killer ends a random busy session of "
                    + "application_name '%s' (at least %d ms old) every %d-%d ms%n", operations,
                    " (or " + minutes + " minutes)", WORKERS, APPLICATION_NAME,
                    MIN_SESSION_AGE_MILLIS, MIN_KILL_PAUSE_MILLIS, MAX_KILL_PAUSE_MILLIS);
            System.out.printf(Locale.ROOT, "ours: DefaultPostgresProvider over one node, "
                    + "TopologySettings.defaults(), pool of %d, Retrier of %d attempts (back-off 2..100 ms), "
                    + "commit-outcome check on, no hooks%n",
                    POOL_SIZE, MAX_ATTEMPTS);
            System.out.println();

            AtomicInteger unhealthy = new AtomicInteger();
            Retrier retrier = new Retrier(RetrySettings.defaults()
                .withMaxAttempts(MAX_ATTEMPTS)
                .withBackOff(Duration.ofMillis(2), 2.0, Duration.ofMillis(100), Duration.ofMillis(1)),
                    TransientErrors.defaults());
            DefaultPostgresProvider provider = provider(node, retrier, unhealthy);
            Run run = new Run(node, provider, operations, limit);
            RetryStatistics statistics;
            try {
                run.execute();
                statistics = provider.retryStatistics();
            }
            finally {
                provider.close();
            }
            // Nothing may still be able to commit while the table is read: a session the pool gave up on could
            // otherwise hold a transaction open.
            awaitNoSessions(node);
            transactions = report(run, verify(node, run), statistics, unhealthy.get());
        }
        System.out.println();
        return transactions + " " + AutoCommitWrites.run(quick);
    }

    private static void createTables(PostgresNode node) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            // No unique constraint on op_key: a second write of a key must land, to be counted.
            statement.execute("create table chaos_writes (op_key text not null, worker int not null, "
                    + "written_at timestamptz not null default now())");
            statement.execute("create index chaos_writes_op_key on chaos_writes (op_key)");
            statement.execute("create table chaos_counters (worker int primary key, ops bigint not null)");
            statement.execute("insert into chaos_counters select w, 0 from generate_series(0, " + (WORKERS - 1)
                    + ") w");
        }
    }

    /** The provider as the auto-configuration builds it for one node, with the workers' application name. */
    static DefaultPostgresProvider provider(PostgresNode node, Retrier retrier, AtomicInteger unhealthy) {
        Map<String, String> driver = new HashMap<>();
        driver.put("connectTimeout", "10");
        driver.put("loginTimeout", "10");
        driver.put("socketTimeout", "0");
        driver.put("ApplicationName", APPLICATION_NAME);
        driver.put("logServerErrorDetail", "false");
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress(node.host(), node.port()),
                node.jdbcUrl(), node.username(), node.password(), driver);
        PoolSettings pool = new PoolSettings(POOL_SIZE, POOL_SIZE, Duration.ofSeconds(30), Duration.ofMinutes(10),
                Duration.ofMinutes(30), Duration.ofMinutes(2), Duration.ofSeconds(5), Duration.ZERO, true, true,
                Duration.ofSeconds(5));
        ClusterTopology topology = new DefaultClusterTopology(List.of(NodeDefinition.of(connection, pool)),
                TopologySettings.defaults(), List.of());
        // Killing single sessions must not make the node look down: count it when it does.
        topology.addListener((event) -> {
            if (event instanceof NodeStateChangedEvent changed && changed.state() == NodeState.UNHEALTHY) {
                unhealthy.incrementAndGet();
            }
        });
        topology.start();
        return new DefaultPostgresProvider(topology, new RowMappers(UnmappedColumns.IGNORE, null),
                PostgresTemplate.DEFAULT_FETCH_SIZE, HookManager.none(), retrier);
    }

    static void awaitNoSessions(PostgresNode node) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            while (true) {
                try (ResultSet rs = statement.executeQuery("select count(*) from pg_stat_activity "
                        + "where application_name = '" + APPLICATION_NAME + "'")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    System.out.println("warning: sessions of the workers' pool outlived it; the table is read "
                            + "anyway");
                    return;
                }
                Thread.sleep(10);
            }
        }
    }

    // --------------------------------------------------------------------------------------------------- run

    /** The workers, the killer and what each operation reported. */
    private static final class Run {

        private final PostgresNode node;

        private final DefaultPostgresProvider provider;

        private final TransientErrors transientErrors;

        /** Operations to run at most, and after {@link #execute()} those that ran. */
        int operations;

        private final long limitNanos;

        /** What each operation reported; each is written by the one worker that ran it, read after the joins. */
        final byte[] outcomes;

        /** How often each operation's callback ran. */
        final int[] attempts;

        private final AtomicInteger next = new AtomicInteger();

        private final AtomicInteger done = new AtomicInteger();

        final AtomicLong kills = new AtomicLong();

        /** Kill queries run, and the sessions they saw in all: the chaos actually applied. */
        final AtomicLong ticks = new AtomicLong();

        final AtomicLong sessions = new AtomicLong();

        final AtomicLong killerErrors = new AtomicLong();

        final List<String> failures = new ArrayList<>();

        private final AtomicReference<@Nullable Throwable> died = new AtomicReference<>();

        private volatile boolean stopKilling;

        private volatile long deadline;

        long nanos;

        Run(PostgresNode node, DefaultPostgresProvider provider, int operations, Duration limit) {
            this.node = node;
            this.provider = provider;
            this.transientErrors = provider.getRetrier().transientErrors();
            this.operations = operations;
            this.limitNanos = limit.toNanos();
            this.outcomes = new byte[operations];
            this.attempts = new int[operations];
        }

        void execute() throws Exception {
            Thread killer = new Thread(this::kill, "chaos-killer");
            killer.setDaemon(true);
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                Thread thread = new Thread(() -> work(worker), "chaos-worker-" + w);
                thread.setDaemon(true);
                workers.add(thread);
            }
            long start = System.nanoTime();
            killer.start();
            this.deadline = start + this.limitNanos;
            workers.forEach(Thread::start);
            int reported = 0;
            long lastLine = start;
            while (workers.stream().anyMatch(Thread::isAlive)) {
                Thread.sleep(100);
                int now = this.done.get();
                // a line per tenth of the operations, so a stalled run shows where it stalled
                if (now * 10L / this.operations > reported || System.nanoTime() - lastLine > 30e9) {
                    reported = (int) (now * 10L / this.operations);
                    lastLine = System.nanoTime();
                    RetryStatistics statistics = this.provider.retryStatistics();
                    PoolStats pool = this.provider.nodes().get(0).stats();
                    System.out.printf(Locale.ROOT, "%6.1f s: %,7d operations done, %,6d kills, %,6d retries, "
                            + "%,d commits verified, %,d unknown; pool %d active, %d idle, %d waiting%n",
                            (lastLine - start) / 1e9, now, this.kills.get(), statistics.retries(),
                            statistics.commitsVerified(), statistics.commitsUnknown(), pool.active(), pool.idle(),
                            pool.pending());
                }
            }
            this.nanos = System.nanoTime() - start;
            this.stopKilling = true;
            // operations are taken in order, and each one taken ran
            this.operations = Math.min(this.next.get(), this.operations);
            killer.join(TimeUnit.SECONDS.toMillis(10));
            System.out.println();
            Throwable error = this.died.get();
            if (error != null) {
                throw new IllegalStateException("a worker died", error);
            }
        }

        private void work(int worker) {
            try {
                // the deadline is checked before taking an operation, so every operation taken runs to its end
                while (System.nanoTime() - this.deadline < 0) {
                    int op = this.next.getAndIncrement();
                    if (op >= this.operations) {
                        break;
                    }
                    this.outcomes[op] = once(worker, op);
                    this.done.incrementAndGet();
                }
            }
            catch (Throwable ex) {
                // an Error, or a bug of the benchmark: stop the run rather than count it
                this.died.compareAndSet(null, ex);
                this.next.set(this.operations);
            }
        }

        private byte once(int worker, int op) {
            String key = key(op);
            try {
                this.provider.inTransaction((status) -> {
                    // counted outside the database on purpose: the only effect a retry does not undo
                    this.attempts[op]++;
                    this.provider.exec(INSERT, key, worker);
                    this.provider.exec(BUMP, worker);
                    return this.provider.queryCount(READ_BACK, worker);
                });
                return COMMITTED;
            }
            catch (CommitOutcomeUnknownException ex) {
                return UNKNOWN;
            }
            catch (RuntimeException ex) {
                if (this.transientErrors.isTransient(ex)) {
                    return EXHAUSTED;
                }
                synchronized (this.failures) {
                    if (this.failures.size() < SHOWN_FAILURES) {
                        this.failures.add(key + " (attempt " + this.attempts[op] + "): " + describe(ex));
                    }
                }
                return UNCLASSIFIED;
            }
        }

        /** Ends a random busy session of the workers every few milliseconds, over a connection of its own. */
        private void kill() {
            Connection connection = null;
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!this.stopKilling) {
                try {
                    if (connection == null) {
                        connection = killerConnection(this.node);
                    }
                    try (Statement statement = connection.createStatement();
                            ResultSet rs = statement.executeQuery(KILL)) {
                        this.ticks.incrementAndGet();
                        if (rs.next()) {
                            this.sessions.addAndGet(rs.getLong(1));
                            if (rs.getBoolean(2)) {
                                this.kills.incrementAndGet();
                            }
                        }
                    }
                }
                catch (SQLException ex) {
                    this.killerErrors.incrementAndGet();
                    close(connection);
                    connection = null;
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(
                        random.nextLong(MIN_KILL_PAUSE_MILLIS * 1000L, MAX_KILL_PAUSE_MILLIS * 1000L + 1)));
            }
            close(connection);
        }

    }

    static String key(int op) {
        return "op-" + op;
    }

    /** A plain connection under another application name, so the killer never ends its own session. */
    static Connection killerConnection(PostgresNode node) throws SQLException {
        Properties properties = new Properties();
        // a hung server must not hold the killer: it reconnects once the server answers again
        properties.setProperty("socketTimeout", "5");
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("user", node.username());
        if (node.password() != null) {
            properties.setProperty("password", node.password());
        }
        properties.setProperty("ApplicationName", KILLER_NAME);
        return DriverManager.getConnection(node.jdbcUrl(), properties);
    }

    static void close(@Nullable Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            }
            catch (SQLException ex) {
                // it is being replaced anyway
            }
        }
    }

    /** The exception's type, SQLSTATE and message, and its causes' types: enough to tell what to fix. */
    static String describe(Throwable ex) {
        StringBuilder text = new StringBuilder(ex.getClass().getName());
        String state = SqlStates.of(ex);
        if (state != null) {
            text.append(" [SQLSTATE ").append(state).append(']');
        }
        text.append(": ").append(ex.getMessage());
        for (Throwable cause = ex.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append("\n      caused by ").append(cause.getClass().getName()).append(": ")
                .append(cause.getMessage());
        }
        return text.toString();
    }

    // ------------------------------------------------------------------------------------------------ verify

    /** What the table holds, checked against what each operation reported. */
    private record Verdict(long[] keyed, long[] present, long duplicates, long surplusRows, long strayRows,
            long torn, long rows) {

        long count(int outcome) {
            return this.keyed[outcome];
        }

        long present(int outcome) {
            return this.present[outcome];
        }

    }

    private static Verdict verify(PostgresNode node, Run run) throws SQLException {
        int[] copies = new int[run.operations];
        long stray = 0;
        long rows = 0;
        Map<Integer, Long> rowsPerWorker = new HashMap<>();
        Map<Integer, Long> counters = new HashMap<>();
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery("select op_key, worker from chaos_writes")) {
                while (rs.next()) {
                    rows++;
                    rowsPerWorker.merge(rs.getInt(2), 1L, Long::sum);
                    int op = op(rs.getString(1), run.operations);
                    if (op < 0) {
                        stray++;
                    }
                    else {
                        copies[op]++;
                    }
                }
            }
            try (ResultSet rs = statement.executeQuery("select worker, ops from chaos_counters")) {
                while (rs.next()) {
                    counters.put(rs.getInt(1), rs.getLong(2));
                }
            }
        }
        long[] keyed = new long[UNCLASSIFIED + 1];
        long[] present = new long[UNCLASSIFIED + 1];
        long duplicates = 0;
        long surplus = 0;
        for (int op = 0; op < run.operations; op++) {
            int outcome = run.outcomes[op];
            keyed[outcome]++;
            if (copies[op] > 0) {
                present[outcome]++;
            }
            if (copies[op] > 1) {
                duplicates++;
                surplus += copies[op] - 1;
            }
        }
        long torn = 0;
        for (int w = 0; w < WORKERS; w++) {
            // both writes of a transaction commit together or not at all
            torn += Math.abs(counters.getOrDefault(w, 0L) - rowsPerWorker.getOrDefault(w, 0L));
        }
        return new Verdict(keyed, present, duplicates, surplus, stray, torn, rows);
    }

    static int op(String key, int operations) {
        if (!key.startsWith("op-")) {
            return -1;
        }
        try {
            int op = Integer.parseInt(key.substring(3));
            return (op >= 0 && op < operations) ? op : -1;
        }
        catch (NumberFormatException ex) {
            return -1;
        }
    }

    // ------------------------------------------------------------------------------------------------ report

    private static String report(Run run, Verdict verdict, RetryStatistics statistics, int unhealthy) {
        long committed = verdict.count(COMMITTED);
        long lost = committed - verdict.present(COMMITTED);
        long unknown = verdict.count(UNKNOWN);
        long exhausted = verdict.count(EXHAUSTED);
        long unclassified = verdict.count(UNCLASSIFIED);
        long phantom = verdict.present(EXHAUSTED) + verdict.present(UNCLASSIFIED);
        long pending = verdict.count(0);

        TextTable table = new TextTable("operation reported", "operations", "key in table", "key absent",
                "broken promises");
        row(table, "committed", committed, verdict.present(COMMITTED), "lost: " + lost);
        row(table, "commit outcome unknown (CommitOutcomeUnknownException)", unknown, verdict.present(UNKNOWN), "-");
        row(table, "failed: transient, attempts exhausted", exhausted, verdict.present(EXHAUSTED),
                "phantom: " + verdict.present(EXHAUSTED));
        row(table, "failed: anything else (unclassified)", unclassified, verdict.present(UNCLASSIFIED),
                "phantom: " + verdict.present(UNCLASSIFIED));
        if (pending > 0) {
            row(table, "never run (a worker died)", pending, verdict.present(0), "-");
        }
        table.print();
        System.out.println();

        System.out.printf(Locale.ROOT, "duplicates: %,d keys written more than once (%,d surplus rows); torn: %,d "
                + "(counter bumps without their row, or rows without their bump); rows: %,d%s%n",
                verdict.duplicates(), verdict.surplusRows(), verdict.torn(), verdict.rows(),
                (verdict.strayRows() > 0) ? ", " + verdict.strayRows() + " with keys no operation wrote" : "");
        System.out.println("attempts per operation: " + attemptHistogram(run.attempts));
        System.out.printf(Locale.ROOT, "retrier: %,d attempts, %,d retries, %,d successes after a retry, %,d "
                + "exhausted, %,d commits verified after a lost COMMIT, %,d commits unknown%n",
                statistics.attempts(), statistics.retries(), statistics.successesAfterRetry(),
                statistics.exhausted(), statistics.commitsVerified(), statistics.commitsUnknown());
        double seconds = run.nanos / 1e9;
        System.out.printf(Locale.ROOT, "kills: %,d sessions ended (%,.0f/s) in %,d kill queries (%,.0f/s, "
                + "%.1f sessions to choose from on average)%s; node marked unhealthy %d time(s)%n", run.kills.get(),
                run.kills.get() / seconds, run.ticks.get(), run.ticks.get() / seconds,
                run.sessions.get() / (double) Math.max(1, run.ticks.get()),
                (run.killerErrors.get() > 0) ? ", " + run.killerErrors.get() + " failed kill queries" : "",
                unhealthy);
        System.out.printf(Locale.ROOT, "duration: %.1f s, %,.0f operations/s%n", seconds, run.operations / seconds);
        if (!run.failures.isEmpty()) {
            System.out.println("unclassified failures (first " + run.failures.size() + "):");
            run.failures.forEach((failure) -> System.out.println("  " + failure));
        }
        System.out.println();

        boolean met = verdict.duplicates() == 0 && lost == 0 && unclassified == 0 && phantom == 0
                && verdict.torn() == 0 && pending == 0;
        System.out.printf(Locale.ROOT, "target: duplicates=0, lost=0, unclassified_failures=0, phantom=0, torn=0: "
                + "%s%n", met ? "met" : "MISSED");
        return "result: chaos ops=" + run.operations + " committed=" + committed + " duplicates="
                + verdict.duplicates() + " lost=" + lost + " unclassified_failures=" + unclassified + " unknown="
                + unknown + " exhausted=" + exhausted + " phantom=" + phantom + " retries=" + statistics.retries()
                + " kills=" + run.kills.get() + " commits_verified=" + statistics.commitsVerified() + " torn="
                + verdict.torn();
    }

    private static void row(TextTable table, String label, long count, long present, String broken) {
        table.row(label, String.format(Locale.ROOT, "%,d", count), String.format(Locale.ROOT, "%,d", present),
                String.format(Locale.ROOT, "%,d", count - present), broken);
    }

    private static String attemptHistogram(int[] attempts) {
        long[] counts = new long[MAX_ATTEMPTS + 2];
        for (int attempt : attempts) {
            counts[Math.min(attempt, MAX_ATTEMPTS + 1)]++;
        }
        StringBuilder text = new StringBuilder();
        for (int a = 0; a < counts.length; a++) {
            if (counts[a] > 0) {
                if (text.length() > 0) {
                    text.append(", ");
                }
                text.append((a > MAX_ATTEMPTS) ? "more than " + MAX_ATTEMPTS : String.valueOf(a)).append(": ")
                    .append(String.format(Locale.ROOT, "%,d", counts[a]));
            }
        }
        return text.toString();
    }

}
