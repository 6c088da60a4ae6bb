package io.nexs.postgres.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresNode;
import org.jspecify.annotations.Nullable;

/**
 * The {@code mapping} benchmark: how fast each contender turns {@value #ROWS} rows of ten mixed-type columns
 * into objects, on one thread.
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
 * <p><b>Rounds, not forks.</b> All contenders run in this JVM, taking turns operation by operation: a round is one
 * operation of every contender in both formats, each round starting one place further along the list, and rounds
 * follow one another for a fixed time. Every ratio is the median of the ratios of the two contenders' rates <em>in
 * the same round</em> ({@link PairedRatio}), printed with its quartiles. Separate JMH forks per contender gave each
 * a few seconds of its own, so a neighbour on the machine busy for those seconds moved one contender's score by half
 * and the ratio with it; a round lasts well under a second, so a disturbance either hits its contenders alike or
 * makes one outlying ratio that the median ignores. The contenders share this JVM's compiled code for PgJDBC,
 * HikariCP and {@code JdbcTemplate} as an application's queries do, after a warm-up of every contender in both
 * formats, forwards and then backwards, so none is timed while the JIT is still compiling what they share.
 */
final class Mapping {

    /** Rows read per operation. */
    static final int ROWS = 10_000;

    /** The wire formats, in the order of the tables: the result line's format last. */
    private static final List<String> FORMATS = List.of(MappingBenchmark.TEXT, MappingBenchmark.BINARY);

    /** Target: ours into a record keeps 90% of the hand-written mapper's speed. */
    private static final double TARGET_VS_HANDWRITTEN = 0.9;

    /** Target: ours into a record is 2.5 times as fast as {@code BeanPropertyRowMapper}. */
    private static final double TARGET_VS_BEAN_PROPERTY = 2.5;

    /** Target: ours into a record is 3.5 times as fast as {@code DataClassRowMapper}. */
    private static final double TARGET_VS_DATA_CLASS = 3.5;

    private static final com.sun.management.ThreadMXBean THREAD_BEAN =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The contenders, in the order of the table. */
    enum Contender {

        HANDWRITTEN("hand-written RowMapper, JdbcTemplate (limit)", "record", null, MappingBenchmark::handwritten),
        OURS_RECORD("nexs PostgresTemplate.queryAll", "record", "DATA_CLASS", MappingBenchmark::oursRecord),
        OURS_BEAN("nexs PostgresTemplate.queryAll", "bean", "BEAN_PROPERTY", MappingBenchmark::oursBean),
        OURS_ROW_MAPPER("nexs ObjectRowMapper, JdbcTemplate", "record", "DATA_CLASS",
                MappingBenchmark::oursRowMapper),
        DATA_CLASS("Spring DataClassRowMapper, JdbcTemplate", "record", null, MappingBenchmark::dataClassRowMapper),
        BEAN_PROPERTY("Spring BeanPropertyRowMapper, JdbcTemplate", "bean", null,
                MappingBenchmark::beanPropertyRowMapper);

        final String label;

        final String target;

        /** The Spring mapper that does the same job, for the "vs Spring peer" column. */
        final @Nullable String peer;

        /** The measured operation: all rows, as the contender maps them. */
        final Function<MappingBenchmark, List<?>> operation;

        Contender(String label, String target, @Nullable String peer, Function<MappingBenchmark, List<?>> operation) {
            this.label = label;
            this.target = target;
            this.peer = peer;
            this.operation = operation;
        }

        /** Reads all rows and turns them into records, to compare them with the hand-written mapper's. */
        List<Customer> read(MappingBenchmark benchmark) {
            return this.operation.apply(benchmark).stream()
                .map((row) -> (row instanceof CustomerBean bean) ? bean.toRecord() : (Customer) row)
                .toList();
        }

    }

    /** One measured combination: a contender in a wire format, through that format's pool. */
    private record Run(Contender contender, String format, MappingBenchmark benchmark) {

        String key() {
            return this.contender.name().toLowerCase(Locale.ROOT) + "/" + this.format;
        }

    }

    /** What one slot measured: operations per second, operations, bytes the thread allocated. */
    private record Slot(double rate, long operations, long bytes) {
    }

    /** Ours into a record over its peers, in one format. */
    private record Ratios(PairedRatio vsHandwritten, PairedRatio vsBeanProperty, PairedRatio vsDataClass) {

        String line() {
            return this.vsHandwritten.keys("vs_handwritten") + " " + this.vsBeanProperty.keys("vs_bean_property")
                    + " " + this.vsDataClass.keys("vs_data_class");
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
        // On two cores an operation takes 10-100 ms, a round about half a second: a minute of rounds is over a
        // hundred paired ratios.
        long warmupMillis = quick ? 750 : 2_000;
        long measureMillis = quick ? 70_000 : 300_000;
        if (!THREAD_BEAN.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("this JVM cannot count the bytes a thread allocates");
        }
        THREAD_BEAN.setThreadAllocatedMemoryEnabled(true);
        try (PostgresNode node = Benchmarks.startNode()) {
            Machine.describe("mapping", quick, node);
            try (HikariDataSource dataSource = CustomerTable.pool(node.jdbcUrl(), node.username(), node.password(),
                    1, "setup")) {
                CustomerTable.create(dataSource, ROWS);
            }
            verify(node);

            Map<String, HikariDataSource> pools = new HashMap<>();
            try {
                List<Run> runs = new ArrayList<>();
                for (String format : FORMATS) {
                    // Two connections for one thread: an operation never waits for the pool.
                    HikariDataSource pool = MappingBenchmark.pool(node.jdbcUrl(), node.username(), node.password(),
                            format, 2);
                    pools.put(format, pool);
                }
                for (Contender contender : Contender.values()) {
                    for (String format : FORMATS) {
                        MappingBenchmark benchmark = new MappingBenchmark();
                        benchmark.open(pools.get(format));
                        runs.add(new Run(contender, format, benchmark));
                    }
                }
                return measure(runs, warmupMillis, measureMillis);
            }
            finally {
                pools.values().forEach(HikariDataSource::close);
            }
        }
    }

    private static String measure(List<Run> runs, long warmupMillis, long measureMillis) {
        System.out.printf(Locale.ROOT, "one thread; warm-up %d ms per contender and format, forwards then backwards; "
                + "then rounds of one operation per contender and format for %d s, each round starting one place "
                + "further along%n", warmupMillis, measureMillis / 1000);
        for (int pass = 0; pass < 2; pass++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "warm-up %d ", pass + 1));
            for (int k = 0; k < runs.size(); k++) {
                Run run = runs.get((pass == 0) ? k : runs.size() - 1 - k);
                line.append(String.format(Locale.ROOT, " %s %.0f/s", run.key(), slot(run, warmupMillis).rate()));
            }
            System.out.println(line);
        }

        int handwrittenText = index(runs, Contender.HANDWRITTEN, MappingBenchmark.TEXT);
        int handwrittenBinary = index(runs, Contender.HANDWRITTEN, MappingBenchmark.BINARY);
        int oursText = index(runs, Contender.OURS_RECORD, MappingBenchmark.TEXT);
        int oursBinary = index(runs, Contender.OURS_RECORD, MappingBenchmark.BINARY);
        List<double[]> measured = new ArrayList<>();
        long[] operations = new long[runs.size()];
        long[] bytes = new long[runs.size()];
        long deadline = System.nanoTime() + measureMillis * 1_000_000;
        // Whole cycles of rounds, so every contender has run in every position equally often.
        while (System.nanoTime() - deadline < 0) {
            int first = measured.size();
            for (int k = 0; k < runs.size(); k++) {
                double[] round = new double[runs.size()];
                for (int j = 0; j < runs.size(); j++) {
                    int c = (measured.size() + j) % runs.size();
                    Slot slot = slot(runs.get(c), 0);
                    round[c] = slot.rate();
                    operations[c] += slot.operations();
                    bytes[c] += slot.bytes();
                }
                measured.add(round);
            }
            // Each cycle's own ratios show at a glance whether the machine was steady.
            List<double[]> cycle = measured.subList(first, measured.size());
            System.out.printf(Locale.ROOT, "rounds %3d-%3d  ours/hand-written: text %s  binary %s  (hand-written "
                    + "binary %.1f ops/s)%n", first + 1, measured.size(),
                    ratio(cycle, oursText, handwrittenText).cell(), ratio(cycle, oursBinary, handwrittenBinary).cell(),
                    PairedRatio.median(cycle.stream().mapToDouble((round) -> round[handwrittenBinary]).toArray()));
        }
        System.out.println();

        double[][] rates = new double[runs.size()][measured.size()];
        for (int r = 0; r < measured.size(); r++) {
            for (int c = 0; c < runs.size(); c++) {
                rates[c][r] = measured.get(r)[c];
            }
        }
        Ratios textRatios = report("text format: prepareThreshold=0, unnamed statements, every column read in text",
                MappingBenchmark.TEXT, runs, rates, operations, bytes);
        Ratios binaryRatios = report("binary format: prepareThreshold=" + MappingBenchmark.PREPARE_THRESHOLD
                + ", server-prepared from the " + MappingBenchmark.PREPARE_THRESHOLD
                + "th execution, non-text columns read in binary", MappingBenchmark.BINARY, runs, rates, operations,
                bytes);
        System.out.println("ops/s: one op reads all " + format("%,.0f", ROWS) + " rows; median and quartiles over "
                + "the " + measured.size() + " rounds");
        System.out.println("ratios: the median of the two contenders' ratios within each round, with the quartiles "
                + "of those ratios; vs Spring peer: into a record vs DataClassRowMapper, into a bean vs "
                + "BeanPropertyRowMapper; vs text: the same contender's binary ops/s over its text ops/s");
        System.out.println();
        target("vs_handwritten", binaryRatios.vsHandwritten(), TARGET_VS_HANDWRITTEN);
        target("vs_bean_property", binaryRatios.vsBeanProperty(), TARGET_VS_BEAN_PROPERTY);
        target("vs_data_class", binaryRatios.vsDataClass(), TARGET_VS_DATA_CLASS);
        System.out.println("text format: " + textRatios.line());
        return "result: mapping " + binaryRatios.line();
    }

    /** Runs one contender for a while, at least one operation, and checks that every operation read all rows. */
    private static Slot slot(Run run, long millis) {
        long bytesBefore = THREAD_BEAN.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        long deadline = start + millis * 1_000_000;
        long operations = 0;
        long now;
        do {
            int rows = run.contender().operation.apply(run.benchmark()).size();
            if (rows != ROWS) {
                throw new IllegalStateException(run.contender().label + " read " + rows + " rows");
            }
            operations++;
            now = System.nanoTime();
        }
        while (now - deadline < 0);
        long bytes = THREAD_BEAN.getCurrentThreadAllocatedBytes() - bytesBefore;
        return new Slot(operations * 1e9 / (now - start), operations, bytes);
    }

    private static PairedRatio ratio(List<double[]> rounds, int ours, int theirs) {
        return PairedRatio.of(rounds.stream().mapToDouble((round) -> round[ours]).toArray(),
                rounds.stream().mapToDouble((round) -> round[theirs]).toArray());
    }

    private static int index(List<Run> runs, Contender contender, String format) {
        for (int i = 0; i < runs.size(); i++) {
            if (runs.get(i).contender() == contender && runs.get(i).format().equals(format)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no run of " + contender + " in " + format);
    }

    private static void target(String key, PairedRatio value, double target) {
        System.out.printf(Locale.ROOT, "target (binary format): %s >= %.2f: %s (%s)%n", key, target,
                (value.median() >= target) ? "met" : "MISSED", value.cell());
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
                List<Customer> expected = sorted(Contender.HANDWRITTEN.read(benchmark));
                if (expected.size() != ROWS) {
                    throw new IllegalStateException("the hand-written mapper read " + expected.size() + " rows");
                }
                for (Contender contender : Contender.values()) {
                    check(contender, format, expected, sorted(contender.read(benchmark)));
                }
                Map<Contender, WireFormatProbe.Formats> formats = new EnumMap<>(Contender.class);
                for (Contender contender : Contender.values()) {
                    // Enough executions of its own to be past the threshold whatever the others did.
                    for (int i = 0; i < MappingBenchmark.PREPARE_THRESHOLD; i++) {
                        contender.operation.apply(benchmark);
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

    private static List<Customer> sorted(List<Customer> rows) {
        // No ORDER BY in the measured query (sorting is the server's work, not the mapper's), so compare by id.
        List<Customer> copy = new ArrayList<>(rows);
        copy.sort(Comparator.comparingLong(Customer::id));
        return copy;
    }

    /**
     * Prints the table of one format.
     * @param title what the format is
     * @param format the format
     * @param runs every run, of both formats
     * @param rates each run's rate in each round
     * @param operations each run's operations over all rounds
     * @param bytes each run's bytes allocated over all rounds
     * @return ours into a record over its peers
     */
    private static Ratios report(String title, String format, List<Run> runs, double[][] rates, long[] operations,
            long[] bytes) {
        boolean binary = format.equals(MappingBenchmark.BINARY);
        List<String> header = new ArrayList<>(List.of("contender", "into", "ops/s (median)", "p25", "p75", "rows/s",
                "alloc B/row", "vs hand-written", "vs Spring peer"));
        if (binary) {
            header.add("vs text");
        }
        TextTable table = new TextTable(header.toArray(String[]::new));
        double[] limit = rates[index(runs, Contender.HANDWRITTEN, format)];
        Map<Contender, double[]> mine = new EnumMap<>(Contender.class);
        for (Contender contender : Contender.values()) {
            int i = index(runs, contender, format);
            double[] sorted = rates[i].clone();
            Arrays.sort(sorted);
            double median = PairedRatio.quantile(sorted, 0.5);
            mine.put(contender, rates[i]);
            String peer = "-";
            if (contender.peer != null) {
                Contender spring = Contender.valueOf(contender.peer);
                peer = PairedRatio.of(rates[i], rates[index(runs, spring, format)]).cell();
            }
            List<String> cells = new ArrayList<>(List.of(contender.label, contender.target, format("%,.1f", median),
                    format("%,.1f", PairedRatio.quantile(sorted, 0.25)),
                    format("%,.1f", PairedRatio.quantile(sorted, 0.75)), format("%,.0f", median * ROWS),
                    format("%,.0f", bytes[i] / (double) operations[i] / ROWS),
                    PairedRatio.of(rates[i], limit).cell(), peer));
            if (binary) {
                cells.add(PairedRatio.of(rates[i], rates[index(runs, contender, MappingBenchmark.TEXT)]).cell());
            }
            table.row(cells.toArray(String[]::new));
        }
        System.out.println(title);
        table.print();
        double[] ours = mine.get(Contender.OURS_RECORD);
        double[] oursBean = mine.get(Contender.OURS_BEAN);
        double[] beanProperty = mine.get(Contender.BEAN_PROPERTY);
        System.out.printf(Locale.ROOT, "ours into a bean: %s %s%n", PairedRatio.of(oursBean, limit).keys(
                "vs_handwritten"), PairedRatio.of(oursBean, beanProperty).keys("vs_bean_property"));
        System.out.println();
        return new Ratios(PairedRatio.of(ours, limit), PairedRatio.of(ours, beanProperty),
                PairedRatio.of(ours, mine.get(Contender.DATA_CLASS)));
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }

}
