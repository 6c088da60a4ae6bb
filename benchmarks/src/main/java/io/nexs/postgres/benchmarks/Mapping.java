package io.nexs.postgres.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * into objects, on one thread, measured by JMH in a forked JVM per contender.
 *
 * <p>The contenders run in {@value #PASSES} passes, the second in reverse order, and each contender's score
 * pools the iterations of both of its forks: on a shared machine a slow minute then hurts two contenders a little
 * instead of one a lot, and a steady drift cancels out.
 */
final class Mapping {

    /** Rows read per operation. */
    static final int ROWS = 10_000;

    /** Passes over all contenders, alternately forwards and backwards. */
    static final int PASSES = 2;

    /** Target printed next to the result: ours into a record keeps 90% of the hand-written mapper's speed. */
    private static final double TARGET_VS_HANDWRITTEN = 0.9;

    /** The contenders, in the order of the table. */
    enum Contender {

        HANDWRITTEN("handwritten", "hand-written RowMapper, JdbcTemplate (limit)", "record", null),
        OURS_RECORD("oursRecord", "nexs PostgresTemplate.queryAll", "record", "DATA_CLASS"),
        OURS_BEAN("oursBean", "nexs PostgresTemplate.queryAll", "bean", "BEAN_PROPERTY"),
        OURS_ROW_MAPPER("oursRowMapper", "nexs ObjectRowMapper, JdbcTemplate", "record", "DATA_CLASS"),
        DATA_CLASS("dataClassRowMapper", "Spring DataClassRowMapper, JdbcTemplate", "record", null),
        BEAN_PROPERTY("beanPropertyRowMapper", "Spring BeanPropertyRowMapper, JdbcTemplate", "bean", null);

        final String method;

        final String label;

        final String target;

        /** The Spring mapper that does the same job, for the "vs Spring peer" column. */
        final @Nullable String peer;

        Contender(String method, String label, String target, @Nullable String peer) {
            this.method = method;
            this.label = label;
            this.target = target;
            this.peer = peer;
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
     * Runs the benchmark and prints its table.
     * @param quick the short run
     * @return the result line
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

            Map<Contender, List<Fork>> forks = new EnumMap<>(Contender.class);
            for (int pass = 0; pass < PASSES; pass++) {
                List<Contender> order = new ArrayList<>(List.of(Contender.values()));
                if (pass % 2 == 1) {
                    Collections.reverse(order);
                }
                for (Contender contender : order) {
                    System.out.printf(Locale.ROOT, "pass %d  %-56s", pass + 1,
                            contender.label + " -> " + contender.target);
                    System.out.flush();
                    Fork fork = measure(node, contender, quick);
                    forks.computeIfAbsent(contender, (key) -> new ArrayList<>()).add(fork);
                    // The iterations show at a glance whether the machine was steady during this fork.
                    System.out.printf(Locale.ROOT, "ops/s by iteration: %s%n", fork.iterations().stream()
                            .map((score) -> format("%.1f", score)).collect(Collectors.joining(" ")));
                }
            }
            System.out.println();
            Map<Contender, Measured> results = new EnumMap<>(Contender.class);
            forks.forEach((contender, list) -> results.put(contender, Measured.of(list)));
            return report(results);
        }
    }

    /** Each contender must return the same 10,000 rows as the hand-written mapper before any is timed. */
    private static void verify(PostgresNode node) {
        MappingBenchmark benchmark = new MappingBenchmark();
        benchmark.open(node.jdbcUrl(), node.username(), node.password());
        try {
            List<Customer> expected = sorted(benchmark.handwritten());
            if (expected.size() != ROWS) {
                throw new IllegalStateException("the hand-written mapper read " + expected.size() + " rows");
            }
            check(Contender.OURS_RECORD, expected, sorted(benchmark.oursRecord()));
            check(Contender.OURS_BEAN, expected, sorted(records(benchmark.oursBean())));
            check(Contender.OURS_ROW_MAPPER, expected, sorted(benchmark.oursRowMapper()));
            check(Contender.DATA_CLASS, expected, sorted(benchmark.dataClassRowMapper()));
            check(Contender.BEAN_PROPERTY, expected, sorted(records(benchmark.beanPropertyRowMapper())));
            System.out.printf(Locale.ROOT, "verified: every contender maps the same %,d rows%n%n", ROWS);
        }
        finally {
            benchmark.close();
        }
    }

    private static void check(Contender contender, List<Customer> expected, List<Customer> actual) {
        if (!expected.equals(actual)) {
            String detail = (expected.size() != actual.size()) ? actual.size() + " rows instead of " + expected.size()
                    : "first difference: " + firstDifference(expected, actual);
            throw new IllegalStateException(contender.label + " -> " + contender.target
                    + " maps differently from the hand-written mapper: " + detail);
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

    private static Fork measure(PostgresNode node, Contender contender, boolean quick) throws RunnerException {
        List<String> jvmArgs = new ArrayList<>(List.of(
                // A fixed heap keeps GC sizing decisions from differing between the forks of the contenders.
                "-Xms2g", "-Xmx2g",
                "-D" + MappingBenchmark.JDBC_URL + "=" + node.jdbcUrl(),
                "-D" + MappingBenchmark.USERNAME + "=" + node.username()));
        if (node.password() != null) {
            jvmArgs.add("-D" + MappingBenchmark.PASSWORD + "=" + node.password());
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(Pattern.quote(MappingBenchmark.class.getName() + "." + contender.method) + "$")
                .forks(1)
                .threads(1)
                .jvmArgsAppend(jvmArgs.toArray(String[]::new))
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        // Short iterations, several of them: a hiccup of the machine then stands out in one iteration instead
        // of hiding in a long one, and the confidence interval is not wider than the score.
        if (quick) {
            options.warmupIterations(4).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(4).measurementTime(TimeValue.seconds(1));
        }
        else {
            options.warmupIterations(5).warmupTime(TimeValue.seconds(2))
                    .measurementIterations(10).measurementTime(TimeValue.seconds(2));
        }
        RunResult result = new Runner(options.build()).runSingle();
        Result<?> allocation = result.getSecondaryResults().get("gc.alloc.rate.norm");
        List<Double> iterations = result.getBenchmarkResults().stream()
                .flatMap((benchmark) -> benchmark.getIterationResults().stream())
                .map((iteration) -> iteration.getPrimaryResult().getScore())
                .toList();
        return new Fork(iterations, (allocation != null) ? allocation.getScore() : Double.NaN);
    }

    private static String report(Map<Contender, Measured> results) {
        double limit = results.get(Contender.HANDWRITTEN).opsPerSecond();
        TextTable table = new TextTable("contender", "into", "ops/s (median)", "min", "max", "rows/s",
                "alloc B/row", "vs hand-written", "vs Spring peer");
        for (Contender contender : Contender.values()) {
            Measured measured = results.get(contender);
            String peer = "-";
            if (contender.peer != null) {
                Contender spring = Contender.valueOf(contender.peer);
                peer = ratio(measured.opsPerSecond() / results.get(spring).opsPerSecond());
            }
            table.row(contender.label, contender.target, format("%,.1f", measured.opsPerSecond()),
                    format("%,.1f", measured.min()), format("%,.1f", measured.max()),
                    format("%,.0f", measured.opsPerSecond() * ROWS),
                    Double.isNaN(measured.bytesPerOp()) ? "?" : format("%,.0f", measured.bytesPerOp() / ROWS),
                    ratio(measured.opsPerSecond() / limit), peer);
        }
        table.print();
        System.out.println("ops/s: one op reads all " + format("%,.0f", ROWS) + " rows; median, min and max over the"
                + " measured iterations of all passes");
        System.out.println("vs Spring peer: into a record vs DataClassRowMapper, into a bean vs BeanPropertyRowMapper");
        System.out.println();

        double ours = results.get(Contender.OURS_RECORD).opsPerSecond();
        double oursBean = results.get(Contender.OURS_BEAN).opsPerSecond();
        double dataClass = results.get(Contender.DATA_CLASS).opsPerSecond();
        double beanProperty = results.get(Contender.BEAN_PROPERTY).opsPerSecond();
        double vsHandwritten = ours / limit;
        System.out.printf(Locale.ROOT, "ours into a bean: vs_handwritten=%s vs_bean_property=%s%n",
                ratio(oursBean / limit), ratio(oursBean / beanProperty));
        System.out.printf(Locale.ROOT, "target: vs_handwritten >= %.2f: %s%n", TARGET_VS_HANDWRITTEN,
                (vsHandwritten >= TARGET_VS_HANDWRITTEN) ? "met" : "MISSED");
        return "result: mapping vs_handwritten=" + ratio(vsHandwritten) + " vs_bean_property="
                + ratio(ours / beanProperty) + " vs_data_class=" + ratio(ours / dataClass);
    }

    private static String ratio(double value) {
        return format("%.2f", value);
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }

}
