package io.nexs.postgres.copy;

import java.io.StringReader;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TestTemplates;
import io.nexs.postgres.TransactionOptions;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.Operation;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.query.Column;
import io.nexs.postgres.query.JacksonJsonCodec;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import io.nexs.postgres.tx.RetryTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.InvalidDataAccessApiUsageException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Binary COPY in from the application's objects against a real server: every supported type round-trips,
 * rows come from records, beans, maps, lists and arrays, a bad row is named by number and column and leaves
 * nothing behind in atomic mode, per-chunk mode keeps the chunks that committed and sends a chunk again after a
 * transient failure, and names that are not identifiers never reach the server.
 */
@ExtendWith(PostgresExtension.class)
class CopyInTests {

    private static final List<String> READING_COLUMNS = List.of("id", "label", "taken_at", "amount");

    private static HikariDataSource dataSource;

    private static PostgresTemplate plain;

    private final List<HookContext> copies = new CopyOnWriteArrayList<>();

    private PostgresTemplate postgres;

    record Reading(long id, String label, Instant takenAt, BigDecimal amount) {
    }

    @BeforeAll
    static void start(PostgresNode node) {
        dataSource = TestDataSources.pooled(node, 6);
        plain = new PostgresTemplate(dataSource);
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    @BeforeEach
    void template() {
        HookManager hooks = new HookManager(Duration.ofSeconds(30), false);
        hooks.register(new PostgresHook() {
            @Override
            public void afterCopy(HookContext context) {
                CopyInTests.this.copies.add(context);
            }
        });
        this.postgres = TestTemplates.template(dataSource, hooks, RetryTestSupport.retrier(3));
        plain.exec("drop table if exists readings");
        plain.exec("create table readings (id bigint primary key, label text not null, taken_at timestamptz, "
                + "amount numeric(12,2) check (amount >= 0))");
    }

    private static List<Reading> readings(int count) {
        return LongStream.rangeClosed(1, count).mapToObj(CopyInTests::reading).toList();
    }

    private static Reading reading(long id) {
        return new Reading(id, "reading " + id, Instant.parse("2024-01-01T00:00:00Z").plusSeconds(id),
                BigDecimal.valueOf(id % 100_000, 2));
    }

    private static long count(String table) {
        return plain.queryCount("select count(*) from " + table);
    }

    @Test
    void everySupportedTypeRoundTripsWithNullsAndExtremes() {
        plain.exec("drop table if exists every_type");
        plain.exec("drop type if exists mood");
        plain.exec("drop domain if exists positive");
        plain.exec("create type mood as enum ('happy', 'sad')");
        plain.exec("create domain positive as int check (value > 0)");
        plain.exec("create table every_type (n int, b boolean, s smallint, i int, l bigint, r real, d double precision, "
                + "t text, v varchar(10), c char(3), j json, jb jsonb, bin bytea, u uuid, dt date, tm time, "
                + "ts timestamp, tz timestamptz, num numeric, m mood, p positive, ia int[], ta text[], la bigint[])");
        List<String> columns = List.of("n", "b", "s", "i", "l", "r", "d", "t", "v", "c", "j", "jb", "bin", "u", "dt",
                "tm", "ts", "tz", "num", "m", "p", "ia", "ta", "la");
        Object[] extremes = { 1, true, Short.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, 1.5f, -2.25e300, "",
            "ünïcødé ✓", "abc", "{\"a\": [1, 2]}", "{\"k\": \"v\"}", new byte[] { 0, -1, 7 },
            UUID.fromString("123e4567-e89b-12d3-a456-426614174000"), LocalDate.of(1900, 1, 1),
            LocalTime.of(23, 59, 59, 999_999_000), LocalDateTime.of(2099, 12, 31, 23, 59, 59, 123_456_000),
            OffsetDateTime.of(2040, 6, 1, 12, 0, 0, 0, ZoneOffset.ofHours(2)),
            new BigDecimal("-12345678901234567890123456789012345678901234567890.000000000000000000001"),
            Mood.sad, 7, new int[] { 1, 2, 3 }, List.of("a", "b,c", "\"q\""), new Long[] { 1L, null, 3L } };
        Object[] early = { 2, false, (short) 0, 0, 0L, Float.NaN, Double.POSITIVE_INFINITY, "x\ny\tz", "", "   ",
            "[]", "null", new byte[0], UUID.randomUUID(), LocalDate.of(1999, 12, 31), LocalTime.MIDNIGHT,
            LocalDateTime.of(1970, 1, 1, 0, 0), Instant.parse("1969-07-20T20:17:40Z"), new BigDecimal("0.00"),
            Mood.happy, 1, new int[0], List.of(), new long[] { Long.MAX_VALUE } };
        Object[] nulls = new Object[columns.size()];
        nulls[0] = 3;
        CopyResult result = this.postgres.copy().into("every_type").columns(columns)
                .rows(List.of(extremes, early, nulls));
        assertThat(result.rows()).isEqualTo(3);
        List<Map<String, Object>> back = new ArrayList<>();
        plain.queryAll("select n, b, s, i, l, r, d, t, v, c, j::text as j, jb::text as jb, bin, u, dt::text as dt, "
                + "tm::text as tm, ts::text as ts, (tz at time zone 'UTC')::text as tz, num::text as num, m::text as m, p, ia::text as ia, ta::text as ta, "
                + "la::text as la from every_type order by n", (rs, i) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int k = 1; k <= rs.getMetaData().getColumnCount(); k++) {
                        row.put(rs.getMetaData().getColumnLabel(k), rs.getObject(k));
                    }
                    back.add(row);
                    return row;
                });
        Map<String, Object> first = back.get(0);
        assertThat(first).containsEntry("b", true)
            .containsEntry("s", (int) Short.MIN_VALUE)
            .containsEntry("i", Integer.MAX_VALUE)
            .containsEntry("l", Long.MIN_VALUE)
            .containsEntry("r", 1.5f)
            .containsEntry("d", -2.25e300)
            .containsEntry("t", "")
            .containsEntry("v", "ünïcødé ✓")
            .containsEntry("c", "abc")
            .containsEntry("j", "{\"a\": [1, 2]}")
            .containsEntry("jb", "{\"k\": \"v\"}")
            .containsEntry("u", UUID.fromString("123e4567-e89b-12d3-a456-426614174000"))
            .containsEntry("num", "-12345678901234567890123456789012345678901234567890.000000000000000000001")
            .containsEntry("m", "sad")
            .containsEntry("p", 7)
            .containsEntry("ia", "{1,2,3}")
            .containsEntry("ta", "{a,\"b,c\",\"\\\"q\\\"\"}")
            .containsEntry("la", "{1,NULL,3}");
        assertThat((byte[]) first.get("bin")).containsExactly(0, -1, 7);
        assertThat(first).containsEntry("dt", "1900-01-01")
            .containsEntry("tm", "23:59:59.999999")
            .containsEntry("ts", "2099-12-31 23:59:59.123456")
            .containsEntry("tz", "2040-06-01 10:00:00");
        Map<String, Object> second = back.get(1);
        assertThat((Float) second.get("r")).isNaN();
        assertThat(second).containsEntry("d", Double.POSITIVE_INFINITY)
            .containsEntry("t", "x\ny\tz")
            .containsEntry("v", "")
            .containsEntry("num", "0.00")
            .containsEntry("ia", "{}")
            .containsEntry("ta", "{}")
            .containsEntry("la", "{9223372036854775807}");
        assertThat(second).containsEntry("dt", "1999-12-31")
            .containsEntry("tm", "00:00:00")
            .containsEntry("ts", "1970-01-01 00:00:00")
            .containsEntry("tz", "1969-07-20 20:17:40");
        Map<String, Object> third = back.get(2);
        assertThat(third.values().stream().skip(1)).containsOnlyNulls();
    }

    enum Mood {
        happy, sad
    }

    /** A bean with a getter, an annotated field and a public field. */
    public static class ReadingBean {

        private long id;

        @Column("label")
        private String name;

        public Instant takenAt;

        private BigDecimal amount;

        ReadingBean(long id) {
            this.id = id;
            this.name = "bean " + id;
            this.takenAt = Instant.EPOCH;
            this.amount = BigDecimal.ONE;
        }

        public long getId() {
            return this.id;
        }

        public BigDecimal getAmount() {
            return this.amount;
        }

    }

    @Test
    void rowsComeFromRecordsBeansMapsListsAndArrays() {
        Map<String, Object> map = new HashMap<>();
        map.put("id", 3L);
        map.put("label", "map");
        map.put("taken_at", null);
        map.put("amount", 3);
        List<Object> rows = List.of(reading(1), new ReadingBean(2), map,
                Arrays.asList(4, "list", OffsetDateTime.now(), new BigDecimal("4.5")),
                new Object[] { 5L, "array", Instant.now(), BigDecimal.TEN });
        assertThat(this.postgres.copy().into("readings").columns(READING_COLUMNS).rows(rows).rows()).isEqualTo(5);
        assertThat(plain.queryAll(String.class, "select label from readings order by id"))
            .containsExactly("reading 1", "bean 2", "map", "list", "array");
        assertThat(plain.queryCount("select count(*) from readings where id = 3 and taken_at is null")).isOne();
    }

    record Tagged(long id, Optional<String> label, Map<String, Object> attributes) {
    }

    @Test
    void optionalsUnwrapAndObjectsGoIntoJsonThroughTheJsonCodec() {
        plain.exec("drop table if exists tagged");
        plain.exec("create table tagged (id bigint, label text, attributes jsonb)");
        PostgresTemplate withJson = new PostgresTemplate(dataSource,
                new RowMappers(UnmappedColumns.IGNORE, new JacksonJsonCodec()), 100);
        withJson.copy().into("tagged").columns("id", "label", "attributes")
                .rows(List.of(new Tagged(1, Optional.of("one"), Map.of("size", 3)),
                        new Tagged(2, Optional.empty(), Map.of("tags", List.of("a", "b")))));
        assertThat(plain.queryAll("select id, coalesce(label, '<null>'), attributes::text from tagged order by id",
                (rs, i) -> rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3)))
            .containsExactly("1 one {\"size\": 3}", "2 <null> {\"tags\": [\"a\", \"b\"]}");
        assertThatExceptionOfType(CopyValueException.class)
            .isThrownBy(() -> plain.copy().into("tagged").columns("id", "label", "attributes")
                    .rows(List.of(new Tagged(3, Optional.empty(), Map.of()))))
            .withMessageContaining("Row 1, column attributes (jsonb)");
    }

    @Test
    void aStreamAndAnIteratorLoadAsTheyAreRead() {
        CopyResult fromStream = this.postgres.copy().into("readings").columns(READING_COLUMNS)
                .rows(LongStream.rangeClosed(1, 5000).mapToObj(CopyInTests::reading));
        CopyResult fromIterator = this.postgres.copy().into("readings").columns(READING_COLUMNS)
                .options(CopyOptions.defaults())
                .rows(LongStream.rangeClosed(5001, 6000).mapToObj(CopyInTests::reading).iterator());
        assertThat(fromStream.rows()).isEqualTo(5000);
        assertThat(fromIterator.rows()).isEqualTo(1000);
        assertThat(fromStream.bytes()).isGreaterThan(5000L * 30);
        assertThat(plain.queryCount("select sum(id) from readings")).isEqualTo(6000L * 6001 / 2);
        assertThat(this.copies).hasSize(2).allSatisfy((copy) -> {
            assertThat(copy.operation()).isEqualTo(Operation.COPY);
            assertThat(copy.sql()).isEqualTo("COPY \"readings\" (\"id\", \"label\", \"taken_at\", \"amount\") "
                    + "FROM STDIN (FORMAT binary)");
            assertThat(copy.error()).isNull();
        });
        assertThat(this.copies).extracting(HookContext::rows).containsExactly(5000L, 1000L);
    }

    @Test
    void aJavaValueThatDoesNotFitNamesItsRowAndColumnAndLeavesNothingInAtomicMode() {
        List<Object[]> rows = new ArrayList<>();
        for (int id = 1; id <= 1000; id++) {
            rows.add(new Object[] { id, "secret-" + id, Instant.EPOCH, (id == 537) ? "12.50-secret" : BigDecimal.ONE });
        }
        CopyValueException failure = (CopyValueException) catchThrowable(
                () -> this.postgres.copy().into("readings").columns(READING_COLUMNS).rows(rows));
        assertThat(failure.getRow()).isEqualTo(537);
        assertThat(failure.getColumn()).isEqualTo("amount");
        assertThat(failure).hasMessageStartingWith("Row 537, column amount (numeric(12,2))")
            .hasMessageNotContaining("secret");
        assertThat(count("readings")).isZero();
        assertThat(this.copies).singleElement().satisfies((copy) -> assertThat(copy.error()).isSameAs(failure));
    }

    @Test
    void aRowTheServerRefusesIsNamedWithoutItsValuesAndLeavesNothingInAtomicMode() {
        List<Reading> rows = new ArrayList<>(readings(2000));
        rows.set(1536, new Reading(1537, "secret-label", Instant.EPOCH, new BigDecimal("-1.00")));
        Throwable failure = catchThrowable(() -> this.postgres.copy().into("readings").columns(READING_COLUMNS)
                .rows(rows));
        assertThat(failure).isInstanceOf(DataIntegrityViolationException.class)
            .hasMessageContaining("Row 1537")
            .hasMessageContaining("readings_amount_check")
            .hasMessageNotContaining("secret");
        assertThat(count("readings")).isZero();
    }

    @Test
    void anAtomicLoadJoinsTheCallersTransactionAndRollsBackWithIt() {
        Throwable failure = catchThrowable(() -> this.postgres.inTransaction((status) -> {
            this.postgres.exec("insert into readings values (0, 'before', null, 0)");
            this.postgres.copy().into("readings").columns(READING_COLUMNS).rows(readings(100));
            assertThat(this.postgres.queryCount("select count(*) from readings")).isEqualTo(101);
            throw new IllegalStateException("changed my mind");
        }));
        assertThat(failure).hasMessage("changed my mind");
        assertThat(count("readings")).isZero();
    }

    @Test
    void perChunkModeKeepsTheChunksBeforeABadJavaValueAndListsThem() {
        List<Object[]> rows = new ArrayList<>();
        for (int id = 1; id <= 1000; id++) {
            rows.add(new Object[] { id, "r" + id, Instant.EPOCH, (id == 537) ? Instant.EPOCH : BigDecimal.ONE });
        }
        CopyOptions options = CopyOptions.defaults().withMode(CopyMode.PER_CHUNK).withChunkRows(100);
        PartialCopyException failure = (PartialCopyException) catchThrowable(
                () -> this.postgres.copy().into("readings").columns(READING_COLUMNS).options(options).rows(rows));
        assertThat(failure.getCause()).isInstanceOf(CopyValueException.class).hasMessageStartingWith("Row 537,");
        assertThat(failure.getFailedChunk()).isEqualTo(new CopyChunk(5, 501, 37, 0, CopyChunk.Status.NOT_LOADED));
        CopyResult result = failure.getResult();
        assertThat(result.committedChunks()).extracting(CopyChunk::index).containsExactly(0, 1, 2, 3, 4);
        assertThat(result.rows()).isEqualTo(500);
        assertThat(count("readings")).isEqualTo(500);
        assertThat(plain.queryCount("select max(id) from readings")).isEqualTo(500);
    }

    @Test
    void perChunkModeInParallelStopsAtARowTheServerRefusesAndListsWhatCommitted() {
        List<Reading> rows = new ArrayList<>(readings(20_000));
        rows.set(12_344, new Reading(12_345, "bad", Instant.EPOCH, new BigDecimal("-1.00")));
        CopyOptions options = CopyOptions.defaults()
            .withMode(CopyMode.PER_CHUNK)
            .withChunkRows(1000)
            .withParallelism(3);
        PartialCopyException failure = (PartialCopyException) catchThrowable(
                () -> this.postgres.copy().into("readings").columns(READING_COLUMNS).options(options).rows(rows));
        assertThat(failure.getCause()).isInstanceOf(DataIntegrityViolationException.class)
            .hasMessageContaining("Row 12345");
        assertThat(failure.getFailedChunk().index()).isEqualTo(12);
        assertThat(failure.getFailedChunk().firstRow()).isEqualTo(12_001);
        CopyResult result = failure.getResult();
        // chunks are sent in order by three connections: those before the bad one were sent before it failed
        assertThat(result.committedChunks()).extracting(CopyChunk::index).contains(0, 1, 2, 3, 4, 5, 6, 7, 8)
            .doesNotContain(12);
        assertThat(result.rows()).isEqualTo(count("readings"));
        for (CopyChunk chunk : result.committedChunks()) {
            assertThat(plain.queryCount("select count(*) from readings where id between ? and ?", chunk.firstRow(),
                    chunk.lastRow())).isEqualTo(chunk.rows());
        }
        assertThat(plain.queryCount("select count(*) from readings where id between 12001 and 13000")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = { "raise exception 'injected' using errcode = '40001'",
        "perform pg_terminate_backend(pg_backend_pid())" })
    void perChunkModeSendsAChunkAgainAfterATransientFailureAndNothingTwice(String fault) {
        plain.exec("drop sequence if exists copy_faults");
        plain.exec("create sequence copy_faults");
        // a sequence is not rolled back: the fault happens on the first attempt only
        plain.exec("create or replace function copy_fault() returns trigger language plpgsql as $$ begin "
                + "if new.id = 4321 and nextval('copy_faults') = 1 then " + fault + "; end if; return new; end $$");
        plain.exec("create trigger copy_fault before insert on readings for each row execute function copy_fault()");
        CopyOptions options = CopyOptions.defaults()
            .withMode(CopyMode.PER_CHUNK)
            .withChunkRows(1000)
            .withParallelism(2);
        CopyResult result = this.postgres.copy().into("readings").columns(READING_COLUMNS).options(options)
                .rows(readings(10_000));
        assertThat(result.rows()).isEqualTo(10_000);
        assertThat(result.chunks()).hasSize(10).allMatch(CopyChunk::committed);
        assertThat(result.chunks()).filteredOn((chunk) -> chunk.attempts() > 1)
            .singleElement()
            .satisfies((chunk) -> {
                assertThat(chunk.index()).isEqualTo(4);
                assertThat(chunk.attempts()).isEqualTo(2);
            });
        assertThat(count("readings")).isEqualTo(10_000);
        assertThat(plain.queryCount("select count(distinct id) from readings")).isEqualTo(10_000);
    }

    @ParameterizedTest
    @ValueSource(strings = { "readings; drop table readings", "readings--", "\"readings", "a.b.c", "", " readings",
        "read ings" })
    void aTableNameThatIsNotAnIdentifierIsRefusedBeforeAnySqlIsSent(String table) {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.postgres.copy().into(table).columns(READING_COLUMNS).rows(readings(1)));
        assertThat(this.copies).isEmpty();
        assertThat(count("readings")).isZero();
    }

    @Test
    void aColumnNameThatIsNotAnIdentifierOrRepeatedIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> this.postgres.copy().into("readings")
                .columns("id", "label) from stdin; drop table readings; --").rows(readings(1)));
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.postgres.copy().into("readings").columns("id", "ID").rows(readings(1)))
            .withMessageContaining("named twice");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.postgres.copy().into("readings").rows(readings(1)))
            .withMessageContaining("names its columns");
        assertThat(this.copies).isEmpty();
    }

    @Test
    void aPropertyMissingForAColumnIsNamedWithTheFix() {
        record Partial(long id, String label) {
        }
        assertThatIllegalArgumentException()
            .isThrownBy(() -> this.postgres.copy().into("readings").columns(READING_COLUMNS)
                    .rows(List.of(new Partial(1, "x"))))
            .withMessageContaining("gives column taken_at")
            .withMessageContaining("@Column(\"taken_at\")");
        assertThat(count("readings")).isZero();
    }

    @Test
    void modesThatCannotHoldTheirPromiseAreRefused() {
        assertThatExceptionOfType(InvalidDataAccessApiUsageException.class)
            .isThrownBy(() -> this.postgres.copy().into("readings").columns(READING_COLUMNS)
                    .options(CopyOptions.defaults().withParallelism(2)).rows(readings(10)))
            .withMessageContaining("PER_CHUNK");
        assertThatExceptionOfType(InvalidDataAccessApiUsageException.class)
            .isThrownBy(() -> this.postgres.inTransaction(TransactionOptions.defaults(),
                    (status) -> this.postgres.copy().into("readings").columns(READING_COLUMNS)
                            .options(CopyOptions.defaults().withMode(CopyMode.PER_CHUNK)).rows(readings(10))))
            .withMessageContaining("inside a transaction");
        assertThat(count("readings")).isZero();
    }

    @Test
    void progressIsReportedWithRateAndTimeLeftAndOnceAtTheEnd() {
        List<CopyProgress> reports = new CopyOnWriteArrayList<>();
        List<Reading> rows = readings(200_000);
        CopyOptions options = CopyOptions.defaults().withProgress(Duration.ofMillis(1), reports::add);
        CopyResult result = this.postgres.copy().into("readings").columns(READING_COLUMNS).options(options).rows(rows);
        assertThat(reports).isNotEmpty();
        CopyProgress last = reports.get(reports.size() - 1);
        assertThat(last.done()).isTrue();
        assertThat(last.rows()).isEqualTo(200_000);
        assertThat(last.bytes()).isEqualTo(result.bytes());
        assertThat(last.expected()).hasValue(200_000);
        assertThat(reports.subList(0, reports.size() - 1)).allSatisfy((report) -> {
            assertThat(report.done()).isFalse();
            assertThat(report.rows()).isBetween(1L, 200_000L);
            assertThat(report.rowsPerSecond()).isPositive();
            assertThat(report.eta()).isPresent();
        });
        assertThat(reports).extracting(CopyProgress::rows).isSorted();
    }

    @Test
    void perChunkProgressCountsEveryChunk() {
        List<CopyProgress> reports = new CopyOnWriteArrayList<>();
        CopyOptions options = CopyOptions.defaults()
            .withMode(CopyMode.PER_CHUNK)
            .withParallelism(2)
            .withChunkRows(5000)
            .withExpectedRows(50_000)
            .withProgress(Duration.ofMillis(1), reports::add);
        CopyResult result = this.postgres.copy().into("readings").columns(READING_COLUMNS).options(options)
                .rows(IntStream.rangeClosed(1, 50_000).mapToObj(CopyInTests::reading));
        assertThat(result.rows()).isEqualTo(50_000);
        assertThat(result.chunks()).extracting(CopyChunk::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(reports.get(reports.size() - 1)).satisfies((last) -> {
            assertThat(last.done()).isTrue();
            assertThat(last.rows()).isEqualTo(50_000);
        });
        assertThat(this.copies).hasSize(10).allSatisfy((copy) -> assertThat(copy.rows()).isEqualTo(5000));
    }

    @Test
    void aSchemaQualifiedQuotedTableAndColumnsAreQuotedAsPostgresReadsThem() {
        plain.exec("create schema if not exists \"Sales Data\"");
        plain.exec("drop table if exists \"Sales Data\".\"Order Lines\"");
        plain.exec("create table \"Sales Data\".\"Order Lines\" (\"Line No\" int, \"say \"\"hi\"\"\" text)");
        this.postgres.copy().into("\"Sales Data\".\"Order Lines\"").columns("\"Line No\"", "\"say \"\"hi\"\"\"")
                .rows(Stream.of(new Object[] { 1, "hello" }, new Object[] { 2, null }));
        assertThat(plain.queryCount("select count(*) from \"Sales Data\".\"Order Lines\" where \"say \"\"hi\"\"\" "
                + "is null")).isOne();
    }

    @Test
    void aLoadOfRowsTakesTheTemplatesCopyDefaultsWhileAStreamLoadsInOneCopy() {
        PostgresTemplate chunking = new PostgresTemplate(dataSource);
        chunking.setCopyDefaults(CopyOptions.defaults().withMode(CopyMode.PER_CHUNK).withChunkRows(10));
        CopyResult rows = chunking.copy().into("readings").columns(READING_COLUMNS).rows(readings(25));
        assertThat(rows.rows()).isEqualTo(25);
        assertThat(rows.committedChunks()).as("chunks of 10 from the defaults").hasSize(3);
        // PER_CHUNK refuses a text stream, so a stream load given no options must not take the defaults
        CopyResult text = chunking.copy().into("readings").columns(READING_COLUMNS)
            .from(new StringReader("101\tone\t\\N\t1.50\n"), CopyFormat.tsv());
        assertThat(text.rows()).isOne();
        assertThat(text.chunks()).isEmpty();
        assertThat(plain.queryCount("select count(*) from readings")).isEqualTo(26);
    }

    @Test
    void aCopySpecTakesColumnsAsNamesOrAsAList() {
        CopyInSpec spec = this.postgres.copy().into("readings").columns("id", "label", "taken_at", "amount");
        assertThat(spec.rows(readings(3)).rows()).isEqualTo(3);
        plain.exec("delete from readings");
        assertThat(this.postgres.copy().into("readings").columns(READING_COLUMNS).rows(readings(3)).rows())
            .isEqualTo(3);
        assertThat(this.postgres.copy().out("select id from readings order by id").rows(Long.class))
            .containsExactly(1L, 2L, 3L);
    }

}
