package io.nexs.postgres.benchmarks;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.TransientDataAccessException;

/**
 * The second part of the {@code chaos} benchmark: writes outside a transaction, each wrapped in the retry an
 * application writes with Spring's {@code @Retryable} or Resilience4j, which runs the write again on
 * {@link TransientDataAccessException} and on nothing else. {@value #WORKERS} workers insert a key of their own
 * with {@code exec} under auto-commit while three faults take turns: a killer ends a random busy session every few
 * milliseconds ({@code pg_terminate_backend}), and every {@value #FAULT_PAUSE_MILLIS} ms the server is either
 * killed ({@code SIGKILL}, then started again) or hung ({@code SIGSTOP} for {@value #HANG_MILLIS} ms, long enough
 * for the monitor to cut its connections, then {@code SIGCONT}).
 *
 * <p>The table has no unique constraint, so a write the application sent twice shows as two rows. The promise
 * checked is the one the exception types make: a write reported done is there ({@code lost}), a write the
 * application was told it may retry did not take effect, so retrying never doubles a key ({@code duplicates}),
 * and a write that failed for good with a transient exception is absent ({@code phantom}). Writes reported as
 * {@link OutcomeUnknownException} promise nothing and are counted with how many of them landed. The server runs
 * with {@code synchronous_commit} on (and {@code fsync} off: a killed server keeps what it handed to the
 * operating system), so a kill loses no acknowledged commit.
 *
 * <p>Run twice, with the default settings and with {@code settle-auto-commit-writes} on, which should turn most
 * unknown outcomes into known ones.
 */
final class AutoCommitWrites {

    static final int WORKERS = 8;

    /** Attempts of the application's own retry, the first included. */
    static final int APP_ATTEMPTS = 20;

    static final int FAULT_PAUSE_MILLIS = 2_500;

    static final int HANG_MILLIS = 3_500;

    static final int QUICK_SECONDS = 20;

    static final int FULL_SECONDS = 90;

    private static final String INSERT = "insert into chaos_auto_writes (op_key, attempt) values (?, ?)";

    private static final int SHOWN_FAILURES = 5;

    private static final byte COMMITTED = 1;

    private static final byte UNKNOWN = 2;

    private static final byte EXHAUSTED = 3;

    private static final byte UNCLASSIFIED = 4;

    private AutoCommitWrites() {
    }

    /**
     * Runs both passes and prints their tables.
     * @param quick the short run
     * @return the keys of the result line
     * @throws Exception when the server or the set-up fails
     */
    static String run(boolean quick) throws Exception {
        Duration limit = Duration.ofSeconds(quick ? QUICK_SECONDS : FULL_SECONDS);
        System.out.printf(Locale.ROOT, "auto-commit writes: %d workers, each exec wrapped in an application retry "
                + "on TransientDataAccessException (%d attempts); faults: session ends every %d-%d ms, and every "
                + "%d ms a kill or a %d ms hang of the server, in turn; %d s per pass%n", WORKERS, APP_ATTEMPTS,
                Chaos.MIN_KILL_PAUSE_MILLIS, Chaos.MAX_KILL_PAUSE_MILLIS, FAULT_PAUSE_MILLIS, HANG_MILLIS,
                limit.toSeconds());
        StringBuilder keys = new StringBuilder();
        for (boolean settle : new boolean[] { false, true }) {
            String prefix = settle ? "autocommit_settled_" : "autocommit_";
            System.out.println();
            System.out.println(settle ? "pass 2: settle-auto-commit-writes on" : "pass 1: defaults");
            keys.append((keys.length() > 0) ? " " : "").append(pass(settle, limit, prefix));
        }
        return keys.toString();
    }

    private static String pass(boolean settle, Duration limit, String prefix) throws Exception {
        try (PostgresNode node = PostgresNode.builder()
            .name("chaos-auto-commit")
            .setting("fsync", "off")
            .setting("synchronous_commit", "on")
            .setting("full_page_writes", "off")
            .start()) {
            try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
                statement.execute("create table chaos_auto_writes (op_key text not null, attempt int not null)");
                statement.execute("create index chaos_auto_writes_op_key on chaos_auto_writes (op_key)");
            }
            Retrier retrier = new Retrier(RetrySettings.defaults()
                .withMaxAttempts(Chaos.MAX_ATTEMPTS)
                .withBackOff(Duration.ofMillis(2), 2.0, Duration.ofMillis(100), Duration.ofMillis(1))
                .withSettleAutoCommitWrites(settle), TransientErrors.defaults());
            AtomicInteger unhealthy = new AtomicInteger();
            Pass pass = new Pass(node, Chaos.provider(node, retrier, unhealthy), limit);
            try {
                pass.execute();
            }
            finally {
                pass.provider.close();
            }
            Chaos.awaitNoSessions(node);
            return report(pass, copies(node, pass.done.get()), prefix, unhealthy.get(), retrier);
        }
    }

    /** The workers, the faults and what each write reported. */
    private static final class Pass {

        final PostgresNode node;

        final DefaultPostgresProvider provider;

        private final long limitNanos;

        /** What each operation reported, by the one worker that ran it: room for more writes than a pass makes. */
        final byte[] outcomes = new byte[4_000_000];

        final int[] attempts = new int[4_000_000];

        final AtomicInteger next = new AtomicInteger();

        final AtomicInteger done = new AtomicInteger();

        final AtomicLong kills = new AtomicLong();

        final AtomicLong crashes = new AtomicLong();

        final AtomicLong hangs = new AtomicLong();

        final AtomicLong appRetries = new AtomicLong();

        final List<String> failures = new ArrayList<>();

        private final AtomicReference<@Nullable Throwable> died = new AtomicReference<>();

        private volatile boolean stop;

        Pass(PostgresNode node, DefaultPostgresProvider provider, Duration limit) {
            this.node = node;
            this.provider = provider;
            this.limitNanos = limit.toNanos();
        }

        void execute() throws Exception {
            List<Thread> threads = new ArrayList<>();
            Thread killer = new Thread(this::terminateSessions, "chaos-auto-killer");
            Thread faults = new Thread(this::killOrHang, "chaos-auto-faults");
            for (int w = 0; w < WORKERS; w++) {
                Thread thread = new Thread(this::work, "chaos-auto-worker-" + w);
                thread.setDaemon(true);
                threads.add(thread);
            }
            killer.setDaemon(true);
            faults.setDaemon(true);
            long start = System.nanoTime();
            long deadline = start + this.limitNanos;
            killer.start();
            faults.start();
            threads.forEach(Thread::start);
            while (System.nanoTime() - deadline < 0 && this.died.get() == null) {
                Thread.sleep(100);
            }
            // the faults stop first, so the last operations can finish on a server that answers
            this.stop = true;
            faults.join(TimeUnit.SECONDS.toMillis(30));
            killer.join(TimeUnit.SECONDS.toMillis(10));
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(60));
                if (thread.isAlive()) {
                    throw new IllegalStateException(thread.getName() + " still runs a write a minute after the end");
                }
            }
            if (this.died.get() != null) {
                throw new IllegalStateException("a worker died", this.died.get());
            }
            System.out.printf(Locale.ROOT, "%,d writes in %.1f s; %,d sessions ended, %d kills, %d hangs%n",
                    this.done.get(), (System.nanoTime() - start) / 1e9, this.kills.get(), this.crashes.get(),
                    this.hangs.get());
        }

        private void work() {
            try {
                while (!this.stop) {
                    int op = this.next.getAndIncrement();
                    if (op >= this.outcomes.length) {
                        break;
                    }
                    this.outcomes[op] = once(op);
                    this.done.incrementAndGet();
                }
            }
            catch (Throwable ex) {
                this.died.compareAndSet(null, ex);
                this.stop = true;
            }
        }

        /** The application's retry, as {@code @Retryable(retryFor = TransientDataAccessException.class)}. */
        private byte once(int op) {
            String key = Chaos.key(op);
            long pause = 20;
            for (int attempt = 1;; attempt++) {
                this.attempts[op] = attempt;
                try {
                    this.provider.exec(INSERT, key, attempt);
                    return COMMITTED;
                }
                catch (OutcomeUnknownException ex) {
                    return UNKNOWN;
                }
                catch (TransientDataAccessException ex) {
                    if (attempt == APP_ATTEMPTS) {
                        return EXHAUSTED;
                    }
                    this.appRetries.incrementAndGet();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(pause));
                    pause = Math.min(pause * 2, 1_000);
                }
                catch (RuntimeException ex) {
                    synchronized (this.failures) {
                        if (this.failures.size() < SHOWN_FAILURES) {
                            this.failures.add(key + " (attempt " + attempt + "): " + Chaos.describe(ex));
                        }
                    }
                    return UNCLASSIFIED;
                }
            }
        }

        private void terminateSessions() {
            Connection connection = null;
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!this.stop) {
                try {
                    if (connection == null) {
                        connection = Chaos.killerConnection(this.node);
                    }
                    try (Statement statement = connection.createStatement();
                            ResultSet rs = statement.executeQuery(Chaos.KILL)) {
                        if (rs.next() && rs.getBoolean(2)) {
                            this.kills.incrementAndGet();
                        }
                    }
                }
                catch (SQLException ex) {
                    // the server is down or hung: try again once it answers
                    Chaos.close(connection);
                    connection = null;
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(random.nextLong(
                        Chaos.MIN_KILL_PAUSE_MILLIS * 1000L, Chaos.MAX_KILL_PAUSE_MILLIS * 1000L + 1)));
            }
            Chaos.close(connection);
        }

        private void killOrHang() {
            boolean kill = true;
            try {
                while (!this.stop) {
                    Thread.sleep(FAULT_PAUSE_MILLIS);
                    if (this.stop) {
                        break;
                    }
                    if (kill) {
                        this.node.crash();
                        this.crashes.incrementAndGet();
                        this.node.restart();
                    }
                    else {
                        this.node.hang();
                        this.hangs.incrementAndGet();
                        try {
                            Thread.sleep(HANG_MILLIS);
                        }
                        finally {
                            this.node.resume();
                        }
                    }
                    kill = !kill;
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            catch (RuntimeException ex) {
                this.died.compareAndSet(null, ex);
                this.stop = true;
            }
        }

    }

    /** How many rows each operation's key has. */
    private static int[] copies(PostgresNode node, int operations) throws SQLException {
        int[] copies = new int[operations];
        try (Connection connection = node.connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select op_key from chaos_auto_writes")) {
            while (rs.next()) {
                int op = Chaos.op(rs.getString(1), operations);
                if (op >= 0) {
                    copies[op]++;
                }
            }
        }
        return copies;
    }

    private static String report(Pass pass, int[] copies, String prefix, int unhealthy, Retrier retrier) {
        int operations = copies.length;
        long[] count = new long[UNCLASSIFIED + 1];
        long[] present = new long[UNCLASSIFIED + 1];
        long duplicates = 0;
        for (int op = 0; op < operations; op++) {
            int outcome = pass.outcomes[op];
            count[outcome]++;
            if (copies[op] > 0) {
                present[outcome]++;
            }
            if (copies[op] > 1) {
                duplicates++;
            }
        }
        long lost = count[COMMITTED] - present[COMMITTED];
        long phantom = present[EXHAUSTED] + present[UNCLASSIFIED];
        TextTable table = new TextTable("write reported", "writes", "key in table", "key absent", "broken promises");
        row(table, "done", count[COMMITTED], present[COMMITTED], "lost: " + lost);
        row(table, "outcome unknown (OutcomeUnknownException)", count[UNKNOWN], present[UNKNOWN], "-");
        row(table, "failed: transient, application's attempts exhausted", count[EXHAUSTED], present[EXHAUSTED],
                "phantom: " + present[EXHAUSTED]);
        row(table, "failed: anything else (unclassified)", count[UNCLASSIFIED], present[UNCLASSIFIED],
                "phantom: " + present[UNCLASSIFIED]);
        table.print();
        System.out.printf(Locale.ROOT, "duplicates: %,d keys written more than once; application retries: %,d; "
                + "library retries: %,d; commits settled as applied: %,d, unknown: %,d; node marked unhealthy %d "
                + "time(s)%n", duplicates, pass.appRetries.get(), retrier.statistics().retries(),
                retrier.statistics().commitsVerified(), retrier.statistics().commitsUnknown(), unhealthy);
        if (!pass.failures.isEmpty()) {
            System.out.println("unclassified failures (first " + pass.failures.size() + "):");
            pass.failures.forEach((failure) -> System.out.println("  " + failure));
        }
        boolean met = duplicates == 0 && lost == 0 && count[UNCLASSIFIED] == 0 && phantom == 0;
        System.out.printf(Locale.ROOT, "target: duplicates=0, lost=0, unclassified_failures=0, phantom=0: %s%n",
                met ? "met" : "MISSED");
        return prefix + "ops=" + operations + " " + prefix + "committed=" + count[COMMITTED] + " " + prefix
                + "duplicates=" + duplicates + " " + prefix + "lost=" + lost + " " + prefix + "unclassified_failures="
                + count[UNCLASSIFIED] + " " + prefix + "unknown=" + count[UNKNOWN] + " " + prefix + "exhausted="
                + count[EXHAUSTED] + " " + prefix + "phantom=" + phantom + " " + prefix + "app_retries="
                + pass.appRetries.get() + " " + prefix + "kills=" + pass.crashes.get() + " " + prefix + "hangs="
                + pass.hangs.get() + " " + prefix + "terminated=" + pass.kills.get();
    }

    private static void row(TextTable table, String label, long count, long present, String broken) {
        table.row(label, String.format(Locale.ROOT, "%,d", count), String.format(Locale.ROOT, "%,d", present),
                String.format(Locale.ROOT, "%,d", count - present), broken);
    }

}
