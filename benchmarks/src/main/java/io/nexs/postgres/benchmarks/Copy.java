package io.nexs.postgres.benchmarks;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.copy.CopyResult;
import io.nexs.postgres.test.PostgresNode;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;

/**
 * Bulk loading: {@value #ROWS} rows of {@code (bigint, text, timestamptz, numeric(12,2))} into a fresh table, by
 * nexs-postgres's binary {@code copy().into(..)} on one connection and in parallel chunks, against PgJDBC's
 * {@code CopyManager} fed a CSV stream built by hand, a JDBC batch insert with {@code reWriteBatchedInserts=true},
 * and {@code psql \copy} from a CSV file of the same rows (when a {@code psql} client is on the machine; the limit).
 * Each contender loads the same rows in every round, in rotating order, and must leave the same table; its rate is
 * the median of its rounds, and each ratio the median of the ratios within each round ({@link PairedRatio}), with
 * their quartiles. Ours is whichever of its two ways has the higher median rate. The peak heap of a load is
 * measured in a JVM of its own capped at {@value #HEAP_CAP_MB} MB, loading {@value #HEAP_ROWS_FULL} rows
 * ({@value #ROWS} with {@code --quick}).
 */
final class Copy {

    static final int ROWS = 1_000_000;

    static final long HEAP_ROWS_FULL = 10_000_000;

    static final int HEAP_CAP_MB = 100;

    /**
     * Rounds of the quick run: a round lasts seconds, so the median of the per-round ratios needs a dozen of them to
     * settle within about 10% from one run to the next (seven left two runs 17% apart on a quiet machine).
     */
    private static final int QUICK_ROUNDS = 13;

    private static final int FULL_ROUNDS = 15;

    private static final int BATCH_SIZE = 1000;

    private static final List<String> COLUMNS = List.of("id", "label", "taken_at", "amount");

    private static final String TABLE = "copy_target";

    private static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z");

    /** Target printed next to the result. */
    private static final String TARGET = ">= 1,000,000 rows/s, >= 1.0x psql \\copy, >= 4x batch insert, "
            + "peak heap <= 100 MB at 10,000,000 rows";

    private Copy() {
    }

    /** One row of the benchmark, as an application would hold it. */
    record Reading(long id, String label, Instant takenAt, BigDecimal amount) {
    }

    static Reading reading(long id) {
        return new Reading(id, "reading-" + id, BASE.plusSeconds(id), BigDecimal.valueOf(id % 10_000_000, 2));
    }

    static Stream<Reading> readings(long count) {
        return LongStream.rangeClosed(1, count).mapToObj(Copy::reading);
    }

    static String run(boolean quick) throws Exception {
        Benchmarks.quiet("io.nexs.postgres.copy");
        try (PostgresNode node = Benchmarks.startNode()) {
            Machine.describe("copy", quick, node);
            int parallelism = Math.max(2, Runtime.getRuntime().availableProcessors());
            try (HikariDataSource dataSource = pool(node, parallelism + 1)) {
                PostgresTemplate postgres = new PostgresTemplate(dataSource);
                String psql = findPsql();
                Path csv = Files.createTempFile("nexs-copy-", ".csv");
                try {
                    writeCsv(csv);
                    List<Contender> contenders = new ArrayList<>();
                    contenders.add(new Contender("ours", "nexs copy(), binary, 1 connection", () -> {
                        CopyResult result = postgres.copy().into(TABLE).columns(COLUMNS).rows(readings(ROWS));
                        return result.rows();
                    }));
                    // psql between ours' two ways: a round runs its contenders in this order, rotated, so the
                    // ratios that matter most come from loads run one right after the other.
                    if (psql != null) {
                        contenders.add(new Contender("psql", "psql \\copy from a CSV file",
                                () -> psqlCopy(psql, node, csv)));
                    }
                    else {
                        System.out.println("no psql client found: the psql \\copy contender is left out");
                    }
                    CopyOptions parallel = CopyOptions.defaults().withMode(CopyMode.PER_CHUNK)
                        .withParallelism(parallelism).withChunkRows(50_000);
                    contenders.add(new Contender("ours_parallel",
                            "nexs copy(), binary, per-chunk x" + parallelism,
                            () -> postgres.copy().into(TABLE).columns(COLUMNS).options(parallel).rows(readings(ROWS))
                                    .rows()));
                    contenders.add(new Contender("copy_manager", "PgJDBC CopyManager, CSV stream",
                            () -> copyManager(dataSource)));
                    contenders.add(new Contender("batch", "JDBC batch insert, reWriteBatchedInserts",
                            () -> batchInsert(dataSource)));
                    return measure(contenders, node, quick ? QUICK_ROUNDS : FULL_ROUNDS, dataSource,
                            quick ? ROWS : HEAP_ROWS_FULL, parallelism);
                }
                finally {
                    Files.deleteIfExists(csv);
                }
            }
        }
    }

    private static String measure(List<Contender> contenders, PostgresNode node, int rounds,
            HikariDataSource dataSource, long heapRows, int parallelism) throws Exception {
        System.out.printf(Locale.ROOT, "%,d rows of (bigint, text, timestamptz, numeric(12,2)) into a fresh table; "
                + "%d rounds in rotating order; rates: median per contender; ratios: median of the ratios within each "
                + "round%n", ROWS, rounds);
        String expected = null;
        double[][] rates = new double[contenders.size()][rounds];
        // a warm-up round, not counted: JIT, the server's caches, the file in the page cache
        for (Contender contender : contenders) {
            if (!contender.key.equals("batch")) {
                freshTable(dataSource);
                contender.load.run();
            }
        }
        for (int r = 0; r < rounds; r++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d", r + 1));
            for (int k = 0; k < contenders.size(); k++) {
                int c = (r + k) % contenders.size();
                Contender contender = contenders.get(c);
                freshTable(dataSource);
                long start = System.nanoTime();
                long rows = contender.load.run();
                long nanos = System.nanoTime() - start;
                if (rows != ROWS) {
                    throw new IllegalStateException(contender.label + " reported " + rows + " rows");
                }
                String checksum = checksum(dataSource);
                if (expected == null) {
                    expected = checksum;
                }
                else if (!expected.equals(checksum)) {
                    throw new IllegalStateException(contender.label + " left " + checksum + " instead of " + expected);
                }
                rates[c][r] = ROWS * 1e9 / nanos;
                line.append(String.format(Locale.ROOT, "  %s %,.0f/s", contender.key, rates[c][r]));
            }
            System.out.println(line);
        }
        System.out.println("verified: every contender left the same table (" + expected + ")");
        System.out.println();
        double[] medians = new double[contenders.size()];
        for (int c = 0; c < contenders.size(); c++) {
            medians[c] = PairedRatio.median(rates[c]);
        }
        Heap single = heapProbe(node, heapRows, 1);
        Heap chunked = heapProbe(node, heapRows, parallelism);
        double[] oneConnection = Objects.requireNonNull(rates(contenders, rates, "ours"));
        double[] perChunk = Objects.requireNonNull(rates(contenders, rates, "ours_parallel"));
        double[] ours = (PairedRatio.median(oneConnection) >= PairedRatio.median(perChunk)) ? oneConnection
                : perChunk;
        double[] psql = rates(contenders, rates, "psql");
        TextTable table = new TextTable("contender", "rows/s", "p25", "p75", "vs psql (p25-p75)",
                "ours vs it (p25-p75)");
        for (int c = 0; c < contenders.size(); c++) {
            double[] sorted = rates[c].clone();
            Arrays.sort(sorted);
            table.row(contenders.get(c).label, String.format(Locale.ROOT, "%,.0f", medians[c]),
                    String.format(Locale.ROOT, "%,.0f", PairedRatio.quantile(sorted, 0.25)),
                    String.format(Locale.ROOT, "%,.0f", PairedRatio.quantile(sorted, 0.75)),
                    (psql != null) ? PairedRatio.of(rates[c], psql).cell() : "n/a",
                    PairedRatio.of(ours, rates[c]).cell());
        }
        table.print();
        System.out.println();
        System.out.printf(Locale.ROOT, "peak heap loading %,d rows in a JVM capped at %d MB: %.1f MB on 1 connection "
                + "(%,.0f rows/s), %.1f MB per-chunk x%d (%,.0f rows/s)%n", heapRows, HEAP_CAP_MB, single.peakMb,
                single.rowsPerSecond, chunked.peakMb, parallelism, chunked.rowsPerSecond);
        System.out.println("target: " + TARGET);
        System.out.println();
        long peak = Math.round(Math.max(single.peakMb, chunked.peakMb));
        return String.format(Locale.ROOT, "result: copy rows_per_s=%.0f %s %s %s peak_heap_mb=%d",
                PairedRatio.median(ours), (psql != null) ? PairedRatio.of(ours, psql).keys("vs_psql") : "vs_psql=n/a",
                PairedRatio.of(ours, Objects.requireNonNull(rates(contenders, rates, "batch"))).keys("vs_batch"),
                PairedRatio.of(ours, Objects.requireNonNull(rates(contenders, rates, "copy_manager")))
                    .keys("vs_copy_manager"), peak);
    }

    private static double @Nullable [] rates(List<Contender> contenders, double[][] rates, String key) {
        for (int c = 0; c < contenders.size(); c++) {
            if (contenders.get(c).key.equals(key)) {
                return rates[c];
            }
        }
        return null;
    }

    private static HikariDataSource pool(PostgresNode node, int size) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(node.jdbcUrl());
        dataSource.setUsername(node.username());
        dataSource.setPassword(node.password());
        dataSource.setMaximumPoolSize(size);
        dataSource.addDataSourceProperty("reWriteBatchedInserts", "true");
        return dataSource;
    }

    private static void freshTable(HikariDataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("drop table if exists " + TABLE);
            statement.execute("create table " + TABLE + " (id bigint, label text, taken_at timestamptz, "
                    + "amount numeric(12,2))");
        }
    }

    private static String checksum(HikariDataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select count(*), sum(id), sum(length(label)), "
                        + "sum(extract(epoch from taken_at)), sum(amount) from " + TABLE)) {
            rs.next();
            return rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3) + "/" + rs.getString(4) + "/"
                    + rs.getString(5);
        }
    }

    /** The CSV line of a row, as a hand-built exporter writes it. */
    private static void csvLine(StringBuilder line, long id) {
        Reading reading = reading(id);
        line.append(reading.id()).append(',').append(reading.label()).append(',').append(reading.takenAt())
            .append(',').append(reading.amount().toPlainString()).append('\n');
    }

    private static long copyManager(HikariDataSource dataSource) throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            return connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + TABLE + " (id, label, taken_at, amount) FROM STDIN (FORMAT csv)", new CsvRows(),
                        65536);
        }
    }

    /** The rows as a CSV stream, made as it is read. */
    private static final class CsvRows extends InputStream {

        private final StringBuilder line = new StringBuilder(128);

        private byte[] pending = new byte[0];

        private int position;

        private long next = 1;

        @Override
        public int read() {
            byte[] one = new byte[1];
            return (read(one, 0, 1) < 0) ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            int written = 0;
            while (written < length) {
                if (this.position == this.pending.length) {
                    if (this.next > ROWS) {
                        break;
                    }
                    this.line.setLength(0);
                    for (int i = 0; i < 256 && this.next <= ROWS; i++) {
                        csvLine(this.line, this.next++);
                    }
                    this.pending = this.line.toString().getBytes(StandardCharsets.UTF_8);
                    this.position = 0;
                }
                int n = Math.min(length - written, this.pending.length - this.position);
                System.arraycopy(this.pending, this.position, buffer, offset + written, n);
                this.position += n;
                written += n;
            }
            return (written == 0) ? -1 : written;
        }

    }

    private static long batchInsert(HikariDataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "insert into " + TABLE + " (id, label, taken_at, amount) values (?, ?, ?, ?)")) {
            connection.setAutoCommit(false);
            try {
                long rows = 0;
                for (long id = 1; id <= ROWS; id++) {
                    Reading reading = reading(id);
                    statement.setLong(1, reading.id());
                    statement.setString(2, reading.label());
                    statement.setObject(3, reading.takenAt().atOffset(java.time.ZoneOffset.UTC));
                    statement.setBigDecimal(4, reading.amount());
                    statement.addBatch();
                    if (id % BATCH_SIZE == 0 || id == ROWS) {
                        statement.executeBatch();
                    }
                    rows++;
                }
                connection.commit();
                return rows;
            }
            finally {
                connection.setAutoCommit(true);
            }
        }
    }

    private static void writeCsv(Path file) throws IOException {
        try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder(128);
            for (long id = 1; id <= ROWS; id++) {
                line.setLength(0);
                csvLine(line, id);
                writer.append(line);
            }
        }
    }

    private static long psqlCopy(String psql, PostgresNode node, Path csv) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", node.host(), "-p",
                String.valueOf(node.port()), "-U", node.username(), "-d", database(node), "-c",
                "\\copy " + TABLE + " (id, label, taken_at, amount) from '" + csv + "' with (format csv)");
        if (node.password() != null) {
            builder.environment().put("PGPASSWORD", node.password());
        }
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("psql \\copy failed with status " + process.exitValue());
        }
        return ROWS;
    }

    private static String database(PostgresNode node) {
        String url = node.jdbcUrl();
        String path = url.substring(url.indexOf('/', "jdbc:postgresql://".length()) + 1);
        int query = path.indexOf('?');
        return (query >= 0) ? path.substring(0, query) : path;
    }

    private static @Nullable String findPsql() {
        List<String> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                candidates.add(dir + "/psql");
            }
        }
        File versions = new File("/usr/lib/postgresql");
        String[] installed = versions.list();
        if (installed != null) {
            Arrays.sort(installed);
            for (int i = installed.length - 1; i >= 0; i--) {
                candidates.add("/usr/lib/postgresql/" + installed[i] + "/bin/psql");
            }
        }
        for (String candidate : candidates) {
            if (new File(candidate).canExecute()) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Loads rows in a JVM of its own capped at {@value #HEAP_CAP_MB} MB, which reports the peak heap it used: the
     * load cannot have needed more than the cap, and the peak says how much of it.
     */
    private static Heap heapProbe(PostgresNode node, long rows, int parallelism) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx" + HEAP_CAP_MB + "m", "-cp", classPath,
                HeapProbe.class.getName(), node.jdbcUrl(), node.username(), String.valueOf(rows),
                String.valueOf(parallelism));
        if (node.password() != null) {
            builder.environment().put("NEXS_COPY_PASSWORD", node.password());
        }
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("the heap probe failed:\n" + output);
        }
        for (String line : output.lines().toList()) {
            if (line.startsWith("heap ")) {
                String[] parts = line.split(" ");
                return new Heap(Double.parseDouble(parts[1]), Double.parseDouble(parts[2]));
            }
        }
        throw new IllegalStateException("the heap probe printed no result:\n" + output);
    }

    private record Heap(double peakMb, double rowsPerSecond) {
    }

    /** The JVM of {@link #heapProbe}: loads the rows and prints {@code heap <peak MB> <rows/s>}. */
    static final class HeapProbe {

        private HeapProbe() {
        }

        public static void main(String[] args) throws Exception {
            String url = args[0];
            long rows = Long.parseLong(args[2]);
            int parallelism = Integer.parseInt(args[3]);
            try (HikariDataSource dataSource = new HikariDataSource()) {
                dataSource.setJdbcUrl(url);
                dataSource.setUsername(args[1]);
                dataSource.setPassword(System.getenv("NEXS_COPY_PASSWORD"));
                dataSource.setMaximumPoolSize(parallelism + 1);
                freshTable(dataSource);
                PostgresTemplate postgres = new PostgresTemplate(dataSource);
                CopyOptions options = (parallelism > 1)
                        ? CopyOptions.defaults().withMode(CopyMode.PER_CHUNK).withParallelism(parallelism)
                        : CopyOptions.defaults();
                System.gc();
                ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
                long start = System.nanoTime();
                CopyResult result = postgres.copy().into(TABLE).columns(COLUMNS).options(options).rows(readings(rows));
                long nanos = System.nanoTime() - start;
                if (result.rows() != rows) {
                    throw new IllegalStateException("loaded " + result.rows() + " of " + rows + " rows");
                }
                long peak = ManagementFactory.getMemoryPoolMXBeans()
                    .stream()
                    .filter((pool) -> pool.getType() == MemoryType.HEAP)
                    .mapToLong((pool) -> pool.getPeakUsage().getUsed())
                    .sum();
                try (Connection connection = DriverManager.getConnection(url, args[1],
                        System.getenv("NEXS_COPY_PASSWORD")); Statement statement = connection.createStatement()) {
                    statement.execute("drop table " + TABLE);
                }
                System.out.printf(Locale.ROOT, "heap %.1f %.0f%n", peak / 1048576.0, rows * 1e9 / nanos);
            }
        }

    }

    @FunctionalInterface
    private interface Load {

        long run() throws Exception;

    }

    private record Contender(String key, String label, Load load) {
    }

}
