package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TestTemplates;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Query results streamed out through binary COPY and mapped like queries against a real server: every decoded
 * type gives what {@code queryAll} gives for the same query, a type that is not decoded is refused before any row
 * is read, and closing the stream early cancels the COPY and gives the connection back in working order.
 */
@ExtendWith(PostgresExtension.class)
class CopyOutTests {

    private static final String EVERYTHING = "select n, b, s, i, l, r, d, t, v, c, j, jb, bin, u, dt, tm, ts, tz, num, "
            + "ia, ta, la from every_type order by n";

    private static HikariDataSource dataSource;

    private static PostgresTemplate postgres;

    private static final List<HookContext> copies = new CopyOnWriteArrayList<>();

    record Everything(Integer n, Boolean b, Short s, Integer i, Long l, Float r, Double d, String t, String v,
            String c, String j, String jb, byte[] bin, UUID u, LocalDate dt, LocalTime tm, LocalDateTime ts,
            OffsetDateTime tz, BigDecimal num, int[] ia, List<String> ta, Long[] la) {
    }

    @BeforeAll
    static void start(PostgresNode node) {
        dataSource = TestDataSources.pooled(node, 2);
        HookManager hooks = new HookManager(Duration.ofSeconds(30), false);
        hooks.register(new PostgresHook() {
            @Override
            public void afterCopy(HookContext context) {
                copies.add(context);
            }
        });
        postgres = TestTemplates.template(dataSource, hooks);
        postgres.exec("create table every_type (n int, b boolean, s smallint, i int, l bigint, r real, "
                + "d double precision, t text, v varchar(10), c char(3), j json, jb jsonb, bin bytea, u uuid, dt date, "
                + "tm time, ts timestamp, tz timestamptz, num numeric, ia int[], ta text[], la bigint[])");
        postgres.exec("insert into every_type values (1, true, -32768, 2147483647, -9223372036854775808, 1.5, "
                + "-2.25e300, '', 'ünïcødé ✓', 'abc', '{\"a\": [1, 2]}', '{\"k\": \"v\"}', '\\x00ff07', "
                + "'123e4567-e89b-12d3-a456-426614174000', '1900-01-01', '23:59:59.999999', "
                + "'2099-12-31 23:59:59.123456', '2040-06-01 12:00:00+02', "
                + "-12345678901234567890123456789012345678901234567890.000000000000000000001, '{1,2,3}', "
                + "'{a,\"b,c\",\"\\\"q\\\"\"}', '{1,NULL,3}')");
        postgres.exec("insert into every_type values (2, false, 0, 0, 0, 'NaN', 'Infinity', e'x\\ny', '', '   ', "
                + "'[]', 'null', '', gen_random_uuid(), '1999-12-31', '00:00', '1970-01-01', "
                + "'1969-07-20 20:17:40+00', 0.00, '{}', '{}', '{9223372036854775807}')");
        postgres.exec("insert into every_type (n) values (3)");
        postgres.exec("insert into every_type (n, num, dt, ts) values (4, 100000000, '2000-01-01', '2000-01-01'), "
                + "(5, 0.0001, '2038-01-19', '2038-01-19 03:14:08'), (6, -99999.99, '1600-02-29', '1600-02-29 12:00')");
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    @Test
    void everyDecodedTypeMapsAsAQueryMapsIt() {
        List<Everything> queried = postgres.queryAll(Everything.class, EVERYTHING);
        List<Everything> copied;
        try (Stream<Everything> rows = postgres.copy().out(EVERYTHING).rows(Everything.class)) {
            copied = rows.toList();
        }
        assertThat(copied).hasSize(6);
        assertThat(copied.stream().map(CopyOutTests::values)).containsExactlyElementsOf(
                queried.stream().map(CopyOutTests::values).toList());
        assertThat(copied.get(0).num())
            .isEqualTo(new BigDecimal("-12345678901234567890123456789012345678901234567890.000000000000000000001"));
        assertThat(copied.get(0).ta()).containsExactly("a", "b,c", "\"q\"");
        assertThat(copied.get(0).la()).containsExactly(1L, null, 3L);
        assertThat(copied.get(2).b()).isNull();
        assertThat(copies).last().satisfies((copy) -> {
            assertThat(copy.name()).isEqualTo("copyOut");
            assertThat(copy.rows()).isEqualTo(6);
            assertThat(copy.error()).isNull();
        });
    }

    /** A row's values, arrays as lists, so rows compare by content. */
    private static List<Object> values(Everything row) {
        List<Object> values = new java.util.ArrayList<>();
        for (java.lang.reflect.RecordComponent component : Everything.class.getRecordComponents()) {
            try {
                Object value = component.getAccessor().invoke(row);
                if (value instanceof int[] ints) {
                    value = java.util.Arrays.stream(ints).boxed().toList();
                }
                else if (value instanceof byte[] bytes) {
                    value = java.util.Arrays.toString(bytes);
                }
                else if (value instanceof Object[] objects) {
                    value = java.util.Arrays.asList(objects);
                }
                values.add(String.valueOf(value));
            }
            catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return values;
    }

    @Test
    void aRowMapperReadsByIndexAndByLabel() {
        try (Stream<String> rows = postgres.copy().out("select n, num, t from every_type where n <= 2 order by n")
                .rows((rs, rowNum) -> rowNum + ":" + rs.getInt("n") + ":" + rs.getBigDecimal(2) + ":"
                        + rs.getString("t"))) {
            assertThat(rows).containsExactly(
                    "0:1:-12345678901234567890123456789012345678901234567890.000000000000000000001:",
                    "1:2:0.00:x\ny");
        }
    }

    @Test
    void aTypeThatIsNotDecodedIsRefusedBeforeAnyRowWithTheCastThatFixesIt() {
        assertThatExceptionOfType(RuntimeException.class)
            .isThrownBy(() -> postgres.copy().out("select n, interval '1 day' as span from every_type")
                    .rows(Everything.class))
            .withMessageContaining("span")
            .withMessageContaining("interval")
            .withMessageContaining("span::text");
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        try (Stream<String> rows = postgres.copy().out("select (interval '1 day' * n)::text from every_type "
                + "where n = 2").rows(String.class)) {
            assertThat(rows).containsExactly("2 days");
        }
    }

    @Test
    void closingEarlyCancelsTheCopyAndTheConnectionServesAgain() {
        try (Stream<Long> rows = postgres.copy().out("select g from generate_series(1, 5000000) g").rows(Long.class)) {
            assertThat(rows.limit(10)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        for (int k = 0; k < 3; k++) {
            assertThat(postgres.queryCount("select count(*) from every_type")).isEqualTo(6);
        }
        assertThat(copies).last().satisfies((copy) -> assertThat(copy.rows()).isEqualTo(10));
    }

    @Test
    void aCopyThatEndsBeforeItsCancelArrivesLeavesNoCancelBehindForTheNextStatement() {
        // a little more than is read before the cancel: the server may have sent it all before the cancel lands
        for (int round = 0; round < 5; round++) {
            try (Stream<String> rows = postgres.copy().out("select repeat('x', 1000) from generate_series(1, 4300)")
                    .rows(String.class)) {
                assertThat(rows.findFirst()).hasValueSatisfying((row) -> assertThat(row).hasSize(1000));
            }
            for (int k = 0; k < 3; k++) {
                assertThat(postgres.queryCount("select count(*) from pg_sleep(0.01), every_type")).isEqualTo(6);
            }
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        }
    }

    @Test
    void aMillionRowsStreamOutInOrder() {
        long[] seen = { 0, 0 };
        try (Stream<Long> rows = postgres.copy().out("select g from generate_series(1, 1000000) g").rows(Long.class)) {
            rows.forEach((value) -> {
                seen[0]++;
                if (value != seen[0]) {
                    seen[1]++;
                }
            });
        }
        assertThat(seen[0]).isEqualTo(1_000_000);
        assertThat(seen[1]).as("rows out of order").isZero();
    }

}
