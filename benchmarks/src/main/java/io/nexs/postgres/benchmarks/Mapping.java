package io.nexs.postgres.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresNode;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The {@code mapping} benchmark: how fast each contender turns {@value #ROWS} rows of ten mixed-type columns
 * into objects, on one thread, measured by JMH in a forked JVM per contender and wire format.
 *
 * <p><b>Two wire formats.</b> PgJDBC receives a result either in text or in binary, and that changes what a row
 * costs each contender: in text the driver parses every number, date, timestamp and uuid from characters, in
 * binary it decodes them directly, and the mappers do not all reach the values the same way. So every contender
 * runs against two HikariCP pools on the same server, alike but for PgJDBC's {@code prepareThreshold}, and the
 * run prints one table per format:
 * <ul>
 * <li>{@code text} ({@code prepareThreshold=0}): the driver never prepares a statement on the server; it sends
 * each query as an unnamed statement and reads every column in text, as {@code JdbcTemplate.query(sql, mapper)}
 * without arguments (a plain {@code Statement}) does.</li>
 * <li>{@code binary} (the default {@code prepareThreshold=5}): from the fifth execution of the query on a
 * connection the driver uses a server-prepared statement and reads every non-text column in binary, as a
 * {@code PreparedStatement} does in a long-running application.</li>
 * </ul>
 * Every contender runs a {@code PreparedStatement} in both, so only the pool decides the format. Before timing,
 * the run reads through a {@link WireFormatProbe} with each contender, past the threshold, and stops unless every
 * contender gets all columns in text from the text pool and the same columns in binary from the binary pool.
 *
 * <p>The {@code result:} line compares ours into a record with the others in the <em>binary</em> format, the one
 * every contender gets from a prepared statement in a running application and the one nexs-postgres itself
 * always uses. The text-format ratios are printed on a line of their own above it. Text decoding slows the
 * hand-written mapper and ours about twice as much as Spring's mappers, whose own per-row overhead dominates, so
 * the gap to Spring's mappers is narrower in text.
 *
 * <p>Every contender and format runs in {@value #PASSES} passes, the second in exactly the reverse order of the
 * first (within a pass, each contender's two formats run back to back), and each score pools the iterations of
 * both forks: on a shared machine a slow minute then hurts several forks a little instead of one a lot, and a
 * steady drift cancels out. {@code --quick} keeps both passes but shortens the iterations.
 */
final class Mapping {

    /** Rows read per operation. */
    static final int ROWS = 10_000;

    /** Passes over all contenders and formats, alternately forwards and backwards. */
    static final int PASSES = 2;

    /** The wire formats, in the order of the tables: the result line's format first. */
    private static final List<String> FORMATS = List.of(MappingBenchmark.TEXT, MappingBenchmark.BINARY);

    /** Target: ours into a record keeps 90% of the hand-written mapper's speed. */
    private static final double TARGET_VS_HANDWRITTEN = 0.9;

    /** Target: ours into a record is 2.5 times as fast as {@code BeanPropertyRowMapper}. */
    private static final double TARGET_VS_BEAN_PROPERTY = 2.5;

    /** Target: ours into a record is 3.5 times as fast as {@code DataClassRowMapper}. */
    private static final double TARGET_VS_DATA_CLASS = 3.5;

    /** The contenders, in the order of the table. */
    enum Contender {

        HANDWRITTEN("handwritten", "hand-written RowMapper, JdbcTemplate (limit)", "record", null,
                MappingBenchmark::handwritten),
        OURS_RECORD("oursRecord", "nexs PostgresTemplate.queryAll", "record", "DATA_CLASS",
                MappingBenchmark::oursRecord),
        OURS_BEAN("oursBean", "nexs PostgresTemplate.queryAll", "bean", "BEAN_PROPERTY",
                (benchmark) -> records(benchmark.oursBean())),
        OURS_ROW_MAPPER("oursRowMapper", "nexs ObjectRowMapper, JdbcTemplate", "record", "DATA_CLASS",
                MappingBenchmark::oursRowMapper),
        DATA_CLASS("dataClassRowMapper", "Spring DataClassRowMapper, JdbcTemplate", "record", null,
                MappingBenchmark::dataClassRowMapper),
        BEAN_PROPERTY("beanPropertyRowMapper", "Spring BeanPropertyRowMapper, JdbcTemplate", "bean", null,
                (benchmark) -> records(benchmark.beanPropertyRowMapper()));

        final String method;

        final String label;

        final String target;

        /** The Spring mapper that does the same job, for the "vs Spring peer" column. */
        final @Nullable String peer;

        /** Runs the benchmark method outside JMH, as records for comparison. */
        final Function<MappingBenchmark, List<Customer>> read;

        Contender(String method, String label, String target, @Nullable String peer,
                Function<MappingBenchmark, List<Customer>> read) {
            this.method = method;
            this.label = label;
            this.target = target;
            this.peer = peer;
            this.read = read;
        }

    }

    /** One measured combination: a contender in a wire format. */
    private record Run(Contender contender, String format) {
    }

    /** Ours into a record over its peers, in one format. */
    private record Ratios(double vsHandwritten, double vsBeanProperty, double vsDataClass) {

        String line() {
            return "vs_handwritten=" + ratio(vsHandwritten()) + " vs_bean_property=" + ratio(vsBeanProperty())
                    + " vs_data_class=" + ratio(vsDataClass());
        }

    }

    /** What JMH measured in one fork of one contender: ops/s of each iteration, bytes allocated per op. */
    private record Fork(List<Double> iterations, double bytesPerOp) {
    }

    /**
     * A contender's forks pooled: the median ops/s of all their iterations (a median, because on a shared machine
     * a disturbed iteration is an outlier to ignore, not a sample to average in), the slowest and fastest
     * iteration, and the mean bytes allocated per op.
     */
    private record Measured(double opsPerSecond, double min, double max, double bytesPerOp) {

        static Measured of(List<Fork> forks) {
            double[] scores = forks.stream().flatMap((fork) -> fork.iterations().stream())
                    .mapToDouble(Double::doubleValue).sorted().toArray();
            int middle = scores.length / 2;
            double median = (scores.length % 2 == 1) ? scores[middle] : (scores[middle - 1] + scores[middle]) / 2;
            double bytesPerOp = forks.stream().mapToDouble(Fork::bytesPerOp).average().orElse(Double.NaN);
            return new Measured(median, scores[0], scores[scores.length - 1], bytesPerOp);
        }

    }

    private Mapping() {
    }

    /**
     * Runs the benchmark and prints its tables, one per wire format.
     * @param quick the short run
     * @return the result line, in the binary format
     * @throws Exception when the server, the data or a contender fails
     */
    static String run(boolean quick) throws Exception {
        try (PostgresNode node = Benchmarks.startNode()) {
            Machine.describe("mapping", quick, node);
            try (HikariDataSource dataSource = CustomerTable.pool(node.jdbcUrl(), node.username(), node.password(),
                    1, "setup")) {
                CustomerTable.create(dataSource, ROWS);
            }
            verify(node);

            List<Run> forwards = new ArrayList<>();
            for (Contender contender : Contender.values()) {
                for (String format : FORMATS) {
                    forwards.add(new Run(contender, format));
                }
            }
            Map<Run, List<Fork>> forks = new HashMap<>();
            for (int pass = 0; pass < PASSES; pass++) {
                List<Run> order = new ArrayList<>(forwards);
                if (pass % 2 == 1) {
                    Collections.reverse(order);
                }
                for (Run run : order) {
                    System.out.printf(Locale.ROOT, "pass %d  %-6s  %-56s", pass + 1, run.format(),
                            run.contender().label + " -> " + run.contender().target);
                    System.out.flush();
                    Fork fork = measure(node, run, quick);
                    forks.computeIfAbsent(run, (key) -> new ArrayList<>()).add(fork);
                    // The iterations show at a glance whether the machine was steady during this fork.
                    System.out.printf(Locale.ROOT, "ops/s by iteration: %s%n", fork.iterations().stream()
                            .map((score) -> format("%.1f", score)).collect(Collectors.joining(" ")));
                }
            }
            System.out.println();
            Map<String, Map<Contender, Measured>> results = new HashMap<>();
            forks.forEach((run, list) -> results.computeIfAbsent(run.format(), (key) -> new EnumMap<>(Contender.class))
                    .put(run.contender(), Measured.of(list)));

            Map<Contender, Measured> text = results.get(MappingBenchmark.TEXT);
            Map<Contender, Measured> binary = results.get(MappingBenchmark.BINARY);
            Ratios textRatios = report("text format: prepareThreshold=0, unnamed statements, every column read in"
                    + " text", text, null, null);
            Ratios binaryRatios = report("binary format: prepareThreshold=" + MappingBenchmark.PREPARE_THRESHOLD
                    + ", server-prepared from the " + MappingBenchmark.PREPARE_THRESHOLD
                    + "th execution, non-text columns read in binary", binary, text, "vs text");

            System.out.println("ops/s: one op reads all " + format("%,.0f", ROWS) + " rows; median, min and max over"
                    + " the measured iterations of both passes");
            System.out.println("vs Spring peer: into a record vs DataClassRowMapper, into a bean vs"
                    + " BeanPropertyRowMapper; vs text: the same contender's binary ops/s over its text ops/s");
            System.out.println();
            target("vs_handwritten", binaryRatios.vsHandwritten(), TARGET_VS_HANDWRITTEN);
            target("vs_bean_property", binaryRatios.vsBeanProperty(), TARGET_VS_BEAN_PROPERTY);
            target("vs_data_class", binaryRatios.vsDataClass(), TARGET_VS_DATA_CLASS);
            System.out.println("text format: " + textRatios.line());
            return "result: mapping " + binaryRatios.line();
        }
    }

    private static void target(String key, double value, double target) {
        System.out.printf(Locale.ROOT, "target (binary format): %s >= %.2f: %s (%s)%n", key, target,
                (value >= target) ? "met" : "MISSED", ratio(value));
    }

    /**
     * Each contender must return the same {@value #ROWS} rows as the hand-written mapper before any is timed, and
     * read them in the format of its pool once past PgJDBC's threshold: every column in text from the text pool,
     * the same columns in binary as every other contender from the binary pool.
     */
    private static void verify(PostgresNode node) {
        for (String format : FORMATS) {
            // One connection, so every execution counts towards the same connection's threshold.
            try (HikariDataSource pool = MappingBenchmark.pool(node.jdbcUrl(), node.username(), node.password(),
                    format, 1)) {
                WireFormatProbe probe = new WireFormatProbe(pool);
                MappingBenchmark benchmark = new MappingBenchmark();
                benchmark.open(probe);
                List<Customer> expected = sorted(Contender.HANDWRITTEN.read.apply(benchmark));
                if (expected.size() != ROWS) {
                    throw new IllegalStateException("the hand-written mapper read " + expected.size() + " rows");
                }
                for (Contender contender : Contender.values()) {
                    check(contender, format, expected, sorted(contender.read.apply(benchmark)));
                }
                Map<Contender, WireFormatProbe.Formats> formats = new EnumMap<>(Contender.class);
                for (Contender contender : Contender.values()) {
                    // Enough executions of its own to be past the threshold whatever the others did.
                    for (int i = 0; i < MappingBenchmark.PREPARE_THRESHOLD; i++) {
                        contender.read.apply(benchmark);
                    }
                    formats.put(contender, probe.take());
                }
                WireFormatProbe.Formats first = formats.get(Contender.HANDWRITTEN);
                boolean expectedFormat = format.equals(MappingBenchmark.TEXT) ? first.binaryColumns().isEmpty()
                        : !first.binaryColumns().isEmpty();
                if (!expectedFormat || formats.values().stream().anyMatch((other) -> !other.equals(first))) {
                    throw new IllegalStateException("the " + format + " pool does not give every contender the "
                            + format + " format: " + formats);
                }
                System.out.printf(Locale.ROOT, "verified %-6s: every contender maps the same %,d rows, reading %s%n",
                        format, ROWS, first);
            }
        }
        System.out.println();
    }

    private static void check(Contender contender, String format, List<Customer> expected,
            List<Customer> actual) {
        if (!expected.equals(actual)) {
            String detail = (expected.size() != actual.size()) ? actual.size() + " rows instead of " + expected.size()
                    : "first difference: " + firstDifference(expected, actual);
            throw new IllegalStateException(contender.label + " -> " + contender.target + " in " + format
                    + " format maps differently from the hand-written mapper: " + detail);
        }
    }

    private static String firstDifference(List<Customer> expected, List<Customer> actual) {
        for (int i = 0; i < expected.size(); i++) {
            if (!expected.get(i).equals(actual.get(i))) {
                return "expected " + expected.get(i) + ", got " + actual.get(i);
            }
        }
        return "none";
    }

    private static List<Customer> records(List<CustomerBean> beans) {
        return beans.stream().map(CustomerBean::toRecord).toList();
    }

    private static List<Customer> sorted(List<Customer> rows) {
        // No ORDER BY in the measured query (sorting is the server's work, not the mapper's), so compare by id.
        List<Customer> copy = new ArrayList<>(rows);
        copy.sort(Comparator.comparingLong(Customer::id));
        return copy;
    }

    private static Fork measure(PostgresNode node, Run run, boolean quick) throws RunnerException {
        List<String> jvmArgs = new ArrayList<>(List.of(
                // A fixed heap keeps GC sizing decisions from differing between the forks of the contenders.
                "-Xms2g", "-Xmx2g",
                "-D" + MappingBenchmark.JDBC_URL + "=" + node.jdbcUrl(),
                "-D" + MappingBenchmark.USERNAME + "=" + node.username()));
        if (node.password() != null) {
            jvmArgs.add("-D" + MappingBenchmark.PASSWORD + "=" + node.password());
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(Pattern.quote(MappingBenchmark.class.getName() + "." + run.contender().method) + "$")
                .param(MappingBenchmark.FORMAT, run.format())
                .forks(1)
                .threads(1)
                .jvmArgsAppend(jvmArgs.toArray(String[]::new))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        // Short iterations, several of them: a hiccup of the machine then stands out in one iteration instead
        // of hiding in a long one, and the confidence interval is not wider than the score. Twelve forks a pass:
        // the quick run keeps both passes (so the reversed order still evens out drift) but only two measured
        // seconds after three of warm-up, as on two cores the JIT is still busy in the third second of a fork.
        if (quick) {
            options.warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(2).measurementTime(TimeValue.seconds(1));
        }
        else {
            options.warmupIterations(4).warmupTime(TimeValue.seconds(2))
                    .measurementIterations(8).measurementTime(TimeValue.seconds(2));
        }
        RunResult result = new Runner(options.build()).runSingle();
        Result<?> allocation = result.getSecondaryResults().get("gc.alloc.rate.norm");
        List<Double> iterations = result.getBenchmarkResults().stream()
                .flatMap((benchmark) -> benchmark.getIterationResults().stream())
                .map((iteration) -> iteration.getPrimaryResult().getScore())
                .toList();
        return new Fork(iterations, (allocation != null) ? allocation.getScore() : Double.NaN);
    }

    /**
     * Prints the table of one format.
     * @param title what the format is
     * @param results the contenders' scores in this format
     * @param other the same contenders in another format, for a column comparing the two, or {@code null}
     * @param otherColumn that column's header
     * @return ours into a record over its peers
     */
    private static Ratios report(String title, Map<Contender, Measured> results,
            @Nullable Map<Contender, Measured> other, @Nullable String otherColumn) {
        double limit = results.get(Contender.HANDWRITTEN).opsPerSecond();
        List<String> header = new ArrayList<>(List.of("contender", "into", "ops/s (median)", "min", "max", "rows/s",
                "alloc B/row", "vs hand-written", "vs Spring peer"));
        if (other != null) {
            header.add(otherColumn);
        }
        TextTable table = new TextTable(header.toArray(String[]::new));
        for (Contender contender : Contender.values()) {
            Measured measured = results.get(contender);
            String peer = "-";
            if (contender.peer != null) {
                Contender spring = Contender.valueOf(contender.peer);
                peer = ratio(measured.opsPerSecond() / results.get(spring).opsPerSecond());
            }
            List<String> cells = new ArrayList<>(List.of(contender.label, contender.target,
                    format("%,.1f", measured.opsPerSecond()), format("%,.1f", measured.min()),
                    format("%,.1f", measured.max()), format("%,.0f", measured.opsPerSecond() * ROWS),
                    Double.isNaN(measured.bytesPerOp()) ? "?" : format("%,.0f", measured.bytesPerOp() / ROWS),
                    ratio(measured.opsPerSecond() / limit), peer));
            if (other != null) {
                cells.add(ratio(measured.opsPerSecond() / other.get(contender).opsPerSecond()));
            }
            table.row(cells.toArray(String[]::new));
        }
        System.out.println(title);
        table.print();
        double ours = results.get(Contender.OURS_RECORD).opsPerSecond();
        double oursBean = results.get(Contender.OURS_BEAN).opsPerSecond();
        double beanProperty = results.get(Contender.BEAN_PROPERTY).opsPerSecond();
        System.out.printf(Locale.ROOT, "ours into a bean: vs_handwritten=%s vs_bean_property=%s%n",
                ratio(oursBean / limit), ratio(oursBean / beanProperty));
        System.out.println();
        return new Ratios(ours / limit, ours / beanProperty,
                ours / results.get(Contender.DATA_CLASS).opsPerSecond());
    }

    private static String ratio(double value) {
        return format("%.2f", value);
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }

}
