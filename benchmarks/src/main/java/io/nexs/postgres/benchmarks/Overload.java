package io.nexs.postgres.benchmarks;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import io.nexs.postgres.topology.SplitBrainEvent;
import io.nexs.postgres.topology.TopologySettings;
import org.jspecify.annotations.Nullable;

/**
 * The overload case of the {@code failover} benchmark: nothing fails, yet everything a monitor could take for a
 * failure happens at once. The primary's CPU is saturated by more CPU-bound sessions than the machine has cores,
 * every connection of the application's pool is held by a long statement while the writer queues for one, and the
 * application's JVM is frozen for {@value #PAUSE_MILLIS} ms (SIGSTOP, then SIGCONT), as a long stop-the-world
 * pause would freeze it. The application (the topology with its defaults, the provider, the writer and the pool's
 * holders) runs in a JVM of its own, {@link Application}, so that it can be frozen while this one keeps time.
 *
 * <p>A cycle counts as a false failover when the application saw any of: a {@link FailoverEvent}, a node changing
 * state ({@link NodeStateChangedEvent}, unhealthy included), a {@link SplitBrainEvent}, a moment without the old
 * primary taking writes (which is also when the topology aborts a primary's connections), or a failed write or
 * statement. Plain HikariCP has no monitor and so no failover to get wrong: there is no peer here.
 */
final class Overload {

    /** How long the application is frozen. */
    static final long PAUSE_MILLIS = 1_500;

    /** CPU-bound, without temporary files (a set-returning function in the select list streams its rows). */
    private static final String BURN = "select count(*) from (select generate_series(1, 1000000000)) s";

    /** What each of the pool's holders runs, again and again. */
    private static final String HOLD = "select pg_sleep(0.5)";

    /** The pool's size, as {@link Failover#definition} gives it. */
    private static final int POOL_SIZE = 10;

    /** Saturation before the freeze, so checks run against a saturated server before and after it. */
    private static final long SATURATED_BEFORE_MILLIS = 1_500;

    /** Time watched after the freeze: several check intervals and any confirmation check. */
    private static final long WATCHED_AFTER_MILLIS = 3_000;

    private static final String PASSWORD_VARIABLE = "NEXS_OVERLOAD_PASSWORD";

    private static final String MONITOR_LOGGER = "io.nexs.postgres.topology.ClusterMonitor";

    /** What the monitor logs when it sets a check aside because the JVM stood still. */
    private static final String SET_ASIDE = "stood still";

    /** One cycle's outcome, from what the application counted. */
    record Outcome(int cycle, int burners, double pauseSeconds, Map<String, Long> counts) {

        long count(String key) {
            return this.counts.getOrDefault(key, 0L);
        }

        /** Whether anything happened that must not: a failover, a state change, a lost primary or an error. */
        boolean falseFailover() {
            return count("failovers") + count("state_changes") + count("split_brains") + count("primary_lost")
                    + count("write_errors") + count("statement_errors") > 0;
        }

    }

    private Overload() {
    }

    /** The number of CPU-bound sessions: more than the cores, so the server's CPU is saturated. */
    static int burners() {
        return 2 * Runtime.getRuntime().availableProcessors() + 1;
    }

    /**
     * Runs one cycle on a fresh cluster.
     * @param cycle the cycle's number, for the printed line
     * @return what happened
     * @throws Exception when the cluster or the application cannot be started
     */
    static Outcome cycle(int cycle) throws Exception {
        PostgresCluster cluster = PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .durable(false)
            .setting("synchronous_commit", "on")
            .start();
        PostgresNode primary = cluster.primary();
        PostgresNode standby = cluster.standbys().get(0);
        List<Burner> burners = new ArrayList<>();
        Process application = null;
        File errors = File.createTempFile("nexs-overload-", ".log");
        try {
            try (Connection connection = primary.connect(); Statement statement = connection.createStatement()) {
                statement.execute(Failover.CREATE_TABLE);
            }
            cluster.awaitReplay(standby, Failover.SETUP_TIMEOUT);
            application = start(primary, standby, errors);
            BufferedReader output = new BufferedReader(
                    new InputStreamReader(application.getInputStream(), StandardCharsets.UTF_8));
            awaitLine(output, "ready", application, errors);
            for (int i = 0; i < burners(); i++) {
                burners.add(new Burner(primary, i));
            }
            Thread.sleep(SATURATED_BEFORE_MILLIS);
            long pid = application.pid();
            long frozen = System.nanoTime();
            signal("STOP", pid);
            Thread.sleep(PAUSE_MILLIS);
            signal("CONT", pid);
            double pause = (System.nanoTime() - frozen) / 1e9;
            Thread.sleep(WATCHED_AFTER_MILLIS);
            OutputStreamWriter input = new OutputStreamWriter(application.getOutputStream(), StandardCharsets.UTF_8);
            input.write("stop\n");
            input.flush();
            String result = awaitLine(output, "overload ", application, errors);
            if (!application.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the application did not end after it reported");
            }
            Map<String, Long> counts = parse(result);
            counts.put("set_aside", Files.readAllLines(errors.toPath(), StandardCharsets.UTF_8).stream()
                .filter((line) -> line.contains(SET_ASIDE))
                .count());
            Outcome outcome = new Outcome(cycle, burners.size(), pause, counts);
            if (outcome.falseFailover()) {
                // what the application saw: its events and first error
                Files.readAllLines(errors.toPath(), StandardCharsets.UTF_8)
                    .forEach((line) -> System.out.println("  application: " + line));
            }
            return outcome;
        }
        finally {
            burners.forEach(Burner::stop);
            if (application != null && application.isAlive()) {
                signal("CONT", application.pid());
                application.destroyForcibly();
            }
            cluster.close();
            Files.deleteIfExists(errors.toPath());
        }
    }

    private static Process start(PostgresNode primary, PostgresNode standby, File errors) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the monitor says when it sets a check aside; the rest of the topology stays quiet
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.log." + MONITOR_LOGGER + "=info", "-cp",
                System.getProperty("java.class.path"), Application.class.getName(), primary.username()));
        for (PostgresNode node : List.of(primary, standby)) {
            command.addAll(List.of(node.name(), node.host(), String.valueOf(node.port()), node.jdbcUrl()));
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        if (primary.password() != null) {
            builder.environment().put(PASSWORD_VARIABLE, primary.password());
        }
        builder.redirectError(errors);
        return builder.start();
    }

    private static String awaitLine(BufferedReader output, String prefix, Process application, File errors)
            throws IOException {
        String line;
        while ((line = output.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("the application ended before printing '" + prefix.strip() + "':\n"
                + Files.readString(errors.toPath(), StandardCharsets.UTF_8));
    }

    private static Map<String, Long> parse(String line) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String pair : line.substring("overload ".length()).split(" ")) {
            int equals = pair.indexOf('=');
            counts.put(pair.substring(0, equals), Long.parseLong(pair.substring(equals + 1)));
        }
        return counts;
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    /** A session of its own running {@link #BURN} until {@link #stop()} cancels it. */
    private static final class Burner {

        private final Connection connection;

        private final Statement statement;

        private final Thread thread;

        Burner(PostgresNode node, int number) throws SQLException {
            this.connection = node.connect();
            this.statement = this.connection.createStatement();
            // one process each, and never for longer than the benchmark
            this.statement.execute("set max_parallel_workers_per_gather = 0");
            this.statement.execute("set statement_timeout = '120s'");
            this.thread = new Thread(this::burn, "overload-burner-" + number);
            this.thread.setDaemon(true);
            this.thread.start();
        }

        private void burn() {
            try {
                this.statement.executeQuery(BURN).close();
            }
            catch (SQLException ex) {
                // cancelled at the end of the cycle
            }
        }

        void stop() {
            try {
                this.statement.cancel();
                this.thread.join(10_000);
                this.connection.close();
            }
            catch (SQLException ex) {
                // the cluster is closed next
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

    }

    /** The cycle's line. */
    static void print(Outcome outcome) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "overload ours %d: %d CPU-bound sessions "
                + "on %d cores, %d of %d pool connections held by %s, application frozen %.2f s; %,d writes "
                + "acknowledged (longest gap %,d ms), %d failed, %d statements failed; %d checks set aside as "
                + "overrun by the freeze; %d failovers, %d state changes, %d nodes unhealthy, %d split-brains, %d "
                + "times without the primary", outcome.cycle(),
                outcome.burners(), Runtime.getRuntime().availableProcessors(), POOL_SIZE, POOL_SIZE, HOLD,
                outcome.pauseSeconds(), outcome.count("writes"), outcome.count("longest_gap_ms"),
                outcome.count("write_errors"), outcome.count("statement_errors"), outcome.count("set_aside"),
                outcome.count("failovers"),
                outcome.count("state_changes"), outcome.count("unhealthy"), outcome.count("split_brains"),
                outcome.count("primary_lost")));
        if (outcome.falseFailover()) {
            line.append(" -> FALSE FAILOVER");
        }
        System.out.println(line);
    }

    /** The header's line about the case. */
    static void describe(int cycles) {
        System.out.printf(Locale.ROOT, "overload: %d cycles, each on a fresh cluster: %d CPU-bound sessions on the "
                + "primary (%s), the %d connections of the application's pool held by '%s' in a loop while the "
                + "writer queues for one, and the application's JVM (a child JVM: topology, provider, writer) frozen "
                + "for %d ms by SIGSTOP/SIGCONT after %d ms of saturation, then watched for %d ms%n", cycles,
                burners(), BURN, POOL_SIZE, HOLD, PAUSE_MILLIS, SATURATED_BEFORE_MILLIS, WATCHED_AFTER_MILLIS);
    }

    // -------------------------------------------------------------------------------------------- application

    /**
     * The application side of a cycle, in a JVM of its own: arguments {@code user} then {@code name host port url}
     * of the primary and of the standby; the password, if any, in {@code NEXS_OVERLOAD_PASSWORD}. Prints
     * {@code ready} once writes are acknowledged with the pool exhausted, waits for a line on its input, then prints
     * {@code overload key=count ...} and exits.
     */
    static final class Application {

        private Application() {
        }

        public static void main(String[] args) throws Exception {
            Benchmarks.quiet("io.nexs.postgres.topology");
            Benchmarks.quiet("io.nexs.postgres.pool");
            Benchmarks.quiet("com.zaxxer.hikari");
            String user = args[0];
            @Nullable String password = System.getenv(PASSWORD_VARIABLE);
            List<NodeDefinition> definitions = new ArrayList<>();
            for (int i = 1; i + 3 < args.length; i += 4) {
                definitions.add(Failover.definition(args[i], args[i + 1], Integer.parseInt(args[i + 2]), args[i + 3],
                        user, password));
            }
            String primaryName = definitions.get(0).name();
            AtomicLong failovers = new AtomicLong();
            AtomicLong stateChanges = new AtomicLong();
            AtomicLong unhealthy = new AtomicLong();
            AtomicLong splitBrains = new AtomicLong();
            PrintStream err = System.err;
            ClusterTopology topology = new DefaultClusterTopology(definitions, TopologySettings.defaults(),
                    List.of());
            topology.addListener((event) -> {
                if (event instanceof FailoverEvent) {
                    failovers.incrementAndGet();
                }
                else if (event instanceof NodeStateChangedEvent changed) {
                    stateChanges.incrementAndGet();
                    if (changed.state() == NodeState.UNHEALTHY) {
                        unhealthy.incrementAndGet();
                    }
                }
                else if (event instanceof SplitBrainEvent) {
                    splitBrains.incrementAndGet();
                }
                err.println(Instant.now() + " " + event);
            });
            topology.start();
            DefaultPostgresProvider provider = new DefaultPostgresProvider(topology,
                    new RowMappers(UnmappedColumns.IGNORE, null), PostgresTemplate.DEFAULT_FETCH_SIZE);
            AtomicReference<@Nullable String> firstError = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            Flag stopped = new Flag();
            AtomicLong primaryLost = new AtomicLong();
            threads.add(daemon("overload-primary-watch", () -> {
                boolean lost = false;
                while (!stopped.value) {
                    Optional<ClusterNode> primary = topology.primary();
                    boolean now = primary.isEmpty() || !primary.get().name().equals(primaryName);
                    if (now && !lost) {
                        primaryLost.incrementAndGet();
                    }
                    lost = now;
                    try {
                        Thread.sleep(1);
                    }
                    catch (InterruptedException ex) {
                        return;
                    }
                }
            }));
            AtomicLong statementErrors = new AtomicLong();
            AtomicInteger holding = new AtomicInteger();
            for (int i = 0; i < POOL_SIZE; i++) {
                threads.add(daemon("overload-holder-" + i, () -> {
                    while (!stopped.value) {
                        try (Connection connection = topology.primaryConnection();
                                Statement statement = connection.createStatement()) {
                            holding.incrementAndGet();
                            statement.execute(HOLD);
                        }
                        catch (SQLException ex) {
                            statementErrors.incrementAndGet();
                            firstError.compareAndSet(null, "statement: " + ex);
                        }
                    }
                }));
            }
            while (holding.get() < POOL_SIZE) {
                Thread.sleep(10);
            }
            Failover.Writer writer = new Failover.Writer(new Failover.Client() {

                @Override
                public void insert(long id) {
                    try {
                        provider.exec(Failover.INSERT, id);
                    }
                    catch (RuntimeException ex) {
                        firstError.compareAndSet(null, "write: " + ex);
                        throw ex;
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
                    provider.close();
                }

            }, "overload-writer");
            writer.start();
            writer.awaitAcked(10, Duration.ofSeconds(60));
            System.out.println("ready");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            stopped.value = true;
            writer.stop();
            writer.join(Duration.ofSeconds(30));
            for (Thread thread : threads) {
                thread.join(30_000);
            }
            long[] acks = writer.acks();
            long writes = 0;
            long previous = 0;
            long longestGap = 0;
            for (long ack : acks) {
                if (ack == 0) {
                    continue;
                }
                writes++;
                if (previous != 0) {
                    longestGap = Math.max(longestGap, ack - previous);
                }
                previous = ack;
            }
            String error = firstError.get();
            if (error != null) {
                err.println("first error: " + error);
            }
            System.out.printf(Locale.ROOT, "overload writes=%d write_errors=%d statement_errors=%d failovers=%d "
                    + "state_changes=%d unhealthy=%d split_brains=%d primary_lost=%d longest_gap_ms=%d%n", writes,
                    writer.failed(), statementErrors.get(), failovers.get(), stateChanges.get(), unhealthy.get(),
                    splitBrains.get(), primaryLost.get(), TimeUnit.NANOSECONDS.toMillis(longestGap));
            System.out.flush();
            provider.close();
            System.exit(0);
        }

        private static Thread daemon(String name, Runnable task) {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        /** A stop flag the threads read. */
        private static final class Flag {

            volatile boolean value;

        }

    }

}
