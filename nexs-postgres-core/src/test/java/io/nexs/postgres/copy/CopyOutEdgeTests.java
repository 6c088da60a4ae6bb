package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.sql.Array;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TestTemplates;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import io.nexs.postgres.tx.TransientErrors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.InvalidDataAccessApiUsageException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Mapped rows out of a binary COPY at the edges: values the types allow (infinities, 24:00, NaN, numerics of
 * every shape), what the driver gives for the same columns, server errors in the middle of the stream, a mapper
 * that closes its result set, and a transaction around the stream.
 */
@ExtendWith(PostgresExtension.class)
class CopyOutEdgeTests {

    private static HikariDataSource dataSource;

    private static PostgresTemplate postgres;

    private static PostgresNode server;

    @BeforeAll
    static void start(PostgresNode node) {
        server = node;
        dataSource = TestDataSources.pooled(node, 3);
        postgres = TestTemplates.template(dataSource, new HookManager(Duration.ofSeconds(30), false));
        postgres.exec("create table if not exists edge_t (n int)");
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    private static <T> List<T> copied(Class<T> type, String sql) {
        try (Stream<T> rows = postgres.copy().out(sql).rows(type)) {
            return rows.toList();
        }
    }

    // ---- decoding: copyOut must give what queryAll gives ----

    @Test
    void numericValuesDecodeAsQueryAllReadsThem() {
        String sql = "select x from (values (0.0001::numeric), (10000), (1e-20), (1e20), (-0.5), (0.000), "
                + "(123456789.123456789), (1.10), (-99999999999999999.99999)) v(x)";
        assertThat(copied(BigDecimal.class, sql)).isEqualTo(postgres.queryAll(BigDecimal.class, sql));
    }

    @Test
    void numericNaNReadAsDouble() {
        String sql = "select 'NaN'::numeric as x";
        assertThat(postgres.queryAll(Double.class, sql)).containsExactly(Double.NaN);
        assertThat(catchThrowable(() -> copied(Double.class, sql))).as("a NaN read as a double").isNull();
    }

    @Test
    void timeTwentyFourHundred() {
        String sql = "select '24:00:00'::time as x";
        assertThat(postgres.queryAll(LocalTime.class, sql)).containsExactly(LocalTime.MAX);
        assertThat(catchThrowable(() -> copied(LocalTime.class, sql))).as("24:00 read as LocalTime.MAX").isNull();
    }

    @Test
    void timestamptzInfinity() {
        String sql = "select x from (values ('infinity'::timestamptz), ('-infinity')) v(x)";
        assertThat(copied(OffsetDateTime.class, sql)).isEqualTo(postgres.queryAll(OffsetDateTime.class, sql));
    }

    @Test
    void dateBeforeOneAd() {
        String sql = "select x from (values ('0044-03-15 BC'::date), ('4713-01-01 BC'), ('0001-01-01')) v(x)";
        assertThat(copied(LocalDate.class, sql)).isEqualTo(postgres.queryAll(LocalDate.class, sql));
    }

    @Test
    void temporalAndFloatColumnsReadIntoStrings() {
        String sql = "select '2024-01-01 10:00:00'::timestamp::timestamp as x";
        assertThat(copied(String.class, sql)).isEqualTo(postgres.queryAll(String.class, sql));
    }

    @Test
    void floatReadIntoString() {
        String sql = "select 1e-5::float8 as x";
        assertThat(copied(String.class, sql)).isEqualTo(postgres.queryAll(String.class, sql));
    }

    @Test
    void dateReadAsObject() {
        String sql = "select '2024-01-01'::date as x";
        assertThat(copied(Object.class, sql).get(0).getClass())
            .isEqualTo(postgres.queryAll(Object.class, sql).get(0).getClass());
    }

    @Test
    void textArrayAsStringArrayThroughARowMapper() {
        String sql = "select array['a', null, 'c'] as x";
        assertThat(postgres.queryAll(sql, (rs, i) -> ((String[]) rs.getArray(1).getArray()).length)).containsExactly(3);
        List<Integer> out = new ArrayList<>();
        Throwable thrown = catchThrowable(() -> {
            try (Stream<Integer> rows = postgres.copy().out(sql)
                    .rows((rs, i) -> ((String[]) rs.getArray(1).getArray()).length)) {
                rows.forEach(out::add);
            }
        });
        assertThat(thrown).as("a text array is a String[]").isNull();
    }

    @Test
    void int2ArrayElements() {
        String sql = "select '{1,2}'::int2[] as x";
        Object queried = postgres.queryAll(sql, (rs, i) -> ((Array) rs.getArray(1)).getArray()).get(0);
        Object streamed;
        try (Stream<Object> rows = postgres.copy().out(sql).rows((rs, i) -> rs.getArray(1).getArray())) {
            streamed = rows.toList().get(0);
        }
        assertThat(streamed.getClass()).isEqualTo(queried.getClass());
    }

    @Test
    void getIntOnABigintOutOfRangeFailsInsteadOfTruncating() {
        String sql = "select 5000000000::bigint as x";
        assertThat(catchThrowable(() -> postgres.queryAll(sql, (rs, i) -> rs.getInt(1)))).isNotNull();
        Throwable streamed = catchThrowable(() -> {
            try (Stream<Integer> rows = postgres.copy().out(sql).rows((rs, i) -> rs.getInt(1))) {
                rows.toList();
            }
        });
        assertThat(streamed).as("not truncated").hasMessageContaining("Bad value for type int");
    }

    @Test
    void aServerErrorMidStreamIsTheServersErrorNotALostConnectionAndQuotesNoValue() {
        String sql = "select (case when x < 3 then x::text else 'secret' || x end)::int from generate_series(1, 5) x";
        Throwable thrown = catchThrowable(() -> copied(Integer.class, sql));
        assertThat(thrown).isNotNull();
        assertThat(thrown).hasStackTraceContaining("invalid input syntax");
        assertThat(TransientErrors.isConnectionLoss(thrown)).as("reported as a lost connection (08006): " + thrown)
            .isFalse();
        assertThat(thrown.getMessage()).doesNotContain("secret3");
    }

    // ---- inside a transaction ----

    @Test
    void aMappedCopyOutIsRefusedInsideATransactionAndLeavesItUsable() {
        Throwable thrown = catchThrowable(() -> postgres.inTransaction((status) -> {
            postgres.exec("insert into edge_t values (-1)");
            Throwable refused = catchThrowable(
                    () -> postgres.copy().out("select g from generate_series(1, 5000000) g").rows(Long.class));
            assertThat(refused).isInstanceOf(InvalidDataAccessApiUsageException.class)
                .hasMessageContaining("inside a transaction");
            postgres.exec("insert into edge_t values (-2)");
            return null;
        }));
        assertThat(thrown).isNull();
        assertThat(postgres.queryCount("select count(*) from edge_t where n < 0")).isEqualTo(2);
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
    }

    // ---- more probes ----

    private static <T> List<T> copiedWith(String sql, org.springframework.jdbc.core.RowMapper<T> mapper) {
        try (Stream<T> rows = postgres.copy().out(sql).rows(mapper)) {
            return rows.toList();
        }
    }

    @Test
    void computedNumerics() {
        String sql = "select x from (values (1::numeric / 3), (sqrt(2::numeric)), (exp(1::numeric)), "
                + "(ln(10::numeric)), (2::numeric ^ 0.5), (1.23456::numeric(10, 2)), (0.00010000), (-0.0000001)) v(x)";
        assertThat(copied(BigDecimal.class, sql)).isEqualTo(postgres.queryAll(BigDecimal.class, sql));
    }

    @Test
    void getTimestampOnATimestamp() {
        String sql = "select '2024-01-01 10:00:00'::timestamp as x";
        assertThat(postgres.queryAll(sql, (rs, i) -> rs.getTimestamp(1))).hasSize(1);
        assertThat(catchThrowable(() -> copiedWith(sql, (rs, i) -> rs.getTimestamp(1)))).isNull();
    }

    @Test
    void infiniteDatesAndTimestamps() {
        String sql = "select 'infinity'::date as d, '-infinity'::timestamp as ts";
        assertThat(copiedWith(sql, (rs, i) -> rs.getObject(1, LocalDate.class) + " " + rs.getObject(2,
                java.time.LocalDateTime.class))).isEqualTo(postgres.queryAll(sql, (rs, i) -> rs.getObject(1,
                        LocalDate.class) + " " + rs.getObject(2, java.time.LocalDateTime.class)));
        assertThat(copiedWith(sql, (rs, i) -> rs.getString(1) + " " + rs.getString(2)))
            .isEqualTo(postgres.queryAll(sql, (rs, i) -> rs.getString(1) + " " + rs.getString(2)));
    }

    @Test
    void timestamptzArrayIntoOffsetDateTimes() {
        String sql = "select array['2024-01-01 10:00:00+02'::timestamptz, null] as x";
        record R(List<OffsetDateTime> x) {
        }
        assertThat(copied(R.class, sql)).isEqualTo(postgres.queryAll(R.class, sql));
    }

    @Test
    void aMapperThatClosesTheResultSetLeavesNoCopyOnThePooledConnection() {
        // a pool of its own: the failure poisons the pooled connection for whoever borrows it next
        try (HikariDataSource own = TestDataSources.pooled(server, 1)) {
            PostgresTemplate template = TestTemplates.template(own, new HookManager(Duration.ofSeconds(30), false));
            try (Stream<Long> rows = template.copy().out("select g from generate_series(1, 200000) g").rows((rs, i) -> {
                long v = rs.getLong(1);
                rs.close();
                return v;
            })) {
                assertThat(rows.findFirst()).hasValue(1L);
            }
            for (int k = 0; k < 4; k++) {
                assertThat(template.queryCount("select count(*) from generate_series(1, 3)")).isEqualTo(3);
            }
        }
    }

}
