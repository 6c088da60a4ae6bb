package io.nexs.postgres.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Properties;

import io.nexs.postgres.test.PostgresNode;
import org.jspecify.annotations.Nullable;

/**
 * Runs one benchmark of nexs-postgres against its peers, on a PostgreSQL server started for the run.
 *
 * <pre>
 * ./mvnw -pl nexs-postgres-test,nexs-postgres-autoconfigure install -DskipTests
 * ./mvnw -pl benchmarks package
 * java -jar benchmarks/target/benchmarks.jar &lt;name&gt; [--quick]
 * </pre>
 *
 * <ul>
 * <li>{@code mapping}: {@value Mapping#ROWS} rows of ten mixed-type columns per query on one thread, the contenders
 * taking turns operation by operation: a hand-written {@code RowMapper} (the limit),
 * {@code PostgresTemplate.queryAll} into a record and into a JavaBean, nexs' {@code ObjectRowMapper} under
 * {@code JdbcTemplate}, and Spring's {@code DataClassRowMapper} and {@code BeanPropertyRowMapper}. Every
 * contender runs a {@code PreparedStatement}, so they differ only in mapping, and runs twice: with results in text
 * ({@code prepareThreshold=0}) and in binary (server-prepared, the result line), one table each.</li>
 * <li>{@code overhead}: primary-key lookups by {@value Overhead#THREADS} threads through raw HikariCP + PgJDBC
 * (the limit), {@code JdbcTemplate} and {@code PostgresTemplate.queryOne} (as the auto-configuration builds it:
 * retries on, no hook registered; with one hook; with neither retries nor hooks; routed through a provider), on
 * the same threads switching contender every few milliseconds, with the bytes each lookup allocates; then one-row
 * write transactions through {@code @Transactional} + {@code JdbcTemplate} on the routed {@code DataSource} against
 * the same by hand, on this server and on a second one with durable commits, with the round trips of each.</li>
 * <li>{@code failover}: a writer inserting every {@value Failover#WRITE_INTERVAL_MILLIS} ms while the primary of a
 * fresh cluster (primary + synchronous standby) is killed (SIGKILL) or hung (SIGSTOP) and the standby promoted
 * {@value Failover#PROMOTE_AFTER_MILLIS} ms later: detection, write recovery and acknowledged writes lost through a
 * {@code ClusterTopology} with the shipped defaults, against HikariCP on a PgJDBC multi-host URL with
 * {@code targetServerType=primary}; then an overload case, where nothing fails but the primary's CPU is saturated,
 * the pool exhausted and the application's JVM frozen for {@value Overload#PAUSE_MILLIS} ms, which must cause no
 * failover. Its result line holds medians and maxima in seconds and counts, not ratios.</li>
 * <li>{@code chaos}: {@value Chaos#WORKERS} workers run transactions that each write a key of their own through
 * {@code PostgresProvider.inTransaction} with retries and the commit-outcome check, while a killer ends a random
 * busy session of theirs ({@code pg_terminate_backend}) every {@value Chaos#MIN_KILL_PAUSE_MILLIS}-{@value
 * Chaos#MAX_KILL_PAUSE_MILLIS} ms, as fast as the pool replaces them; afterwards the tables show whether every
 * outcome reported was true: keys written twice, committed keys missing, failed keys present.
 * {@value Chaos#QUICK_OPERATIONS} operations (at most {@value Chaos#QUICK_MINUTES} minutes) with {@code --quick},
 * {@value Chaos#FULL_OPERATIONS} (at most {@value Chaos#FULL_MINUTES} minutes) otherwise. Then
 * {@link AutoCommitWrites}: auto-commit writes wrapped in an application's retry on
 * {@code TransientDataAccessException}, while sessions are ended and the server is killed or hung in turn, with
 * the default settings and with {@code settle-auto-commit-writes} on ({@value AutoCommitWrites#QUICK_SECONDS} s
 * each with {@code --quick}, {@value AutoCommitWrites#FULL_SECONDS} s otherwise). Its result line holds counts, not
 * ratios.</li>
 * <li>{@code copy}: {@value Copy#ROWS} rows of {@code (bigint, text, timestamptz, numeric(12,2))} into a fresh
 * table by {@code PostgresTemplate.copy().into(..)} (binary, one connection and per-chunk in parallel) against PgJDBC's
 * {@code CopyManager} fed a hand-built CSV stream, a batch insert with {@code reWriteBatchedInserts=true} and
 * {@code psql \copy} from a CSV file (the limit, when a {@code psql} client is installed); medians of rotating
 * rounds, and the peak heap of a load in a JVM capped at {@value Copy#HEAP_CAP_MB} MB.</li>
 * <li>{@code consistency}: a writer inserting every {@value Consistency#WRITE_INTERVAL_MICROS} µs and
 * {@value Consistency#READERS} readers looking up the row written last through the routed {@code DataSource}, on a
 * primary and two asynchronous replicas, one applying commits {@value Consistency#APPLY_DELAY_MILLIS} ms late:
 * stale reads under eventual and read-your-writes consistency, the read throughput of the two (rounds alternating)
 * and the 99th percentile of the time read-your-writes reads wait for their connection; then a Spring Data JDBC
 * repository with the default settings: stale {@code findById()} after {@code save()}, the share of read-only
 * calls of threads that wrote nothing that replicas serve, and the speed of {@code save()} with read-your-writes on
 * and off. Its result line holds counts, ratios and milliseconds.</li>
 * </ul>
 *
 * <p>Every benchmark starts its own server ({@code fsync=off}, {@code synchronous_commit=off}) from the binaries
 * in the jar, checks that all contenders return the same data, measures them all in the same run, prints the
 * machine, a table and a target, and ends with one line {@code result: <name> key=value ...} of throughput
 * ratios (ours / peer), for scripts. Only ratios from the same run mean anything: absolute numbers depend on the
 * machine. The contenders of {@code mapping}, {@code overhead} and {@code copy} take turns in rounds, and each ratio
 * is the median of the ratios within each round ({@link PairedRatio}); the result line gives its quartiles as
 * {@code <key>_p25} and {@code <key>_p75}, so a reader sees how far one run can be trusted. {@code --quick} takes
 * about two minutes on two cores (three for overhead, one and a half for copy, one for chaos, half a minute for
 * consistency); the full run takes about six (mapping), ten (overhead and failover), five (chaos), three (copy) and
 * two (consistency) minutes. The failover benchmark starts a cluster per cycle and the consistency benchmark one
 * cluster ({@code synchronous_commit=on} both) instead of one server, and overhead a second server with
 * PostgreSQL's durable defaults for its write transactions. Unknown names print this usage and exit with status 2.
 */
public final class Benchmarks {

    private static final String USAGE = """
            usage: java -jar benchmarks/target/benchmarks.jar <name> [--quick]

            benchmarks:
              mapping    10,000 rows x 10 columns per query, one thread: nexs-postgres into a record and a
                         bean vs a hand-written RowMapper, DataClassRowMapper and BeanPropertyRowMapper, with
                         results in text (the result line) and in binary wire format
              overhead   primary-key lookups by 4 threads: nexs-postgres (defaults, with a hook, without retries,
                         routed) vs raw HikariCP + PgJDBC and JdbcTemplate, with bytes allocated per lookup;
                         then one-row write transactions, @Transactional + JdbcTemplate on the routed
                         DataSource vs the same by hand, with fsync off and on, and their round trips
              failover   a primary killed (SIGKILL) or hung (SIGSTOP) under a writer, its synchronous standby
                         promoted 1 s later: detection, write recovery and acknowledged writes lost, nexs-postgres
                         vs HikariCP on a PgJDBC multi-host URL (targetServerType=primary); then a busy
                         primary (CPU saturated, pool exhausted, application frozen 1.5 s) must not fail over
              chaos      8 workers run retried transactions, each writing a key of its own, while a random busy
                         session of theirs is killed every 1-5 ms: duplicates, lost commits and failures that
                         were not what they said (10,000 operations or 2 minutes; full run 100,000 or 10 minutes);
                         then auto-commit writes under an application's retry on transient errors while sessions
                         end and the server is killed or hung, plain and settled (20 s each; full run 90 s)
              copy       1,000,000 rows into a fresh table: nexs-postgres binary copy() on one connection and
                         in parallel chunks vs PgJDBC CopyManager (CSV), batch insert and psql copy, with the
                         peak heap of a 10,000,000-row load in a 100 MB JVM (1,000,000 with --quick)
              consistency a writer and 4 readers reading back the row written last on a primary and two
                         replicas, one applying commits 1 s late: stale reads under eventual and
                         read-your-writes, read throughput ratio and the wait of read-your-writes reads;
                         a Spring Data JDBC repository's save() then findById() with the default settings

            options:
              --quick    a short run: about 2 minutes on 2 cores
            """;

    private Benchmarks() {
    }

    /**
     * Runs the benchmark named by the first argument.
     * @param args the name, and {@code --quick} for the short run
     */
    public static void main(String[] args) {
        @Nullable String name = null;
        boolean quick = false;
        for (String arg : args) {
            if (arg.equals("--quick")) {
                quick = true;
            }
            else if (name == null && !arg.startsWith("-")) {
                name = arg;
            }
            else {
                usage(System.err, "unexpected argument: " + arg);
            }
        }
        if (name == null) {
            usage(System.err, "no benchmark named");
        }
        long start = System.nanoTime();
        String result;
        try {
            result = switch (name) {
                case "mapping" -> Mapping.run(quick);
                case "overhead" -> Overhead.run(quick);
                case "failover" -> Failover.run(quick);
                case "chaos" -> Chaos.run(quick);
                case "copy" -> Copy.run(quick);
                case "consistency" -> Consistency.run(quick);
                default -> {
                    usage(System.err, "unknown benchmark: " + name);
                    throw new AssertionError();
                }
            };
        }
        catch (Exception ex) {
            System.err.println("benchmark " + name + " failed:");
            ex.printStackTrace();
            System.exit(1);
            return;
        }
        System.out.printf(Locale.ROOT, "time: %d s%n", Math.round((System.nanoTime() - start) / 1e9));
        System.out.println(result);
        // The pools may leave non-daemon threads behind; the run is over.
        System.exit(0);
    }

    private static void usage(PrintStream out, String problem) {
        out.println(problem);
        out.println();
        out.print(USAGE);
        System.exit(2);
    }

    /**
     * Turns a logger down to errors unless the caller chose its level with
     * {@code -Dorg.slf4j.simpleLogger.log.<logger>=...}: for benchmarks whose faults make it warn by design.
     * Call before the logger is first used.
     * @param logger the logger's name, or a prefix of names
     */
    static void quiet(String logger) {
        String key = "org.slf4j.simpleLogger.log." + logger;
        if (System.getProperty(key) == null) {
            System.setProperty(key, "error");
        }
    }

    /**
     * Starts a server tuned for throughput rather than durability: a benchmark's data is thrown away anyway.
     * @return the running server; close it
     */
    static PostgresNode startNode() {
        useBundledBinaries();
        return PostgresNode.builder()
                .name("benchmarks")
                .setting("fsync", "off")
                .setting("synchronous_commit", "off")
                .setting("full_page_writes", "off")
                .start();
    }

    /**
     * Starts a server with PostgreSQL's own durability settings ({@code fsync}, {@code synchronous_commit} and
     * {@code full_page_writes} on): a commit returns once its record is on disk.
     * @return the server
     */
    static PostgresNode durableNode() {
        useBundledBinaries();
        return PostgresNode.builder().name("benchmarks-durable").durable(true).start();
    }

    /**
     * Points the test kit at the PostgreSQL binaries in the jar. Shading strips the binaries jar's version from its
     * resource URLs, which is where the test kit reads it; this tells it the version Maven put in the jar unless
     * the caller chose one with {@code -Dnexs.postgres.test.version}. Call before starting any server.
     */
    static void useBundledBinaries() {
        String version = binariesVersion();
        if (version != null && System.getProperty("nexs.postgres.test.version") == null) {
            System.setProperty("nexs.postgres.test.version", version);
        }
    }

    private static @Nullable String binariesVersion() {
        try (InputStream in = Benchmarks.class.getResourceAsStream("/nexs-benchmarks.properties")) {
            if (in == null) {
                return null;
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("postgres.binaries.version");
            return (version == null || version.startsWith("$")) ? null : version;
        }
        catch (IOException ex) {
            return null;
        }
    }

}
