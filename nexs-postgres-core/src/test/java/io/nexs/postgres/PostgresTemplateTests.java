package io.nexs.postgres;

import java.math.BigDecimal;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.query.NamedParameters;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

@ExtendWith(PostgresExtension.class)
class PostgresTemplateTests {

    private static HikariDataSource dataSource;

    private static PostgresTemplate postgres;

    enum Status {

        OPEN, PAID, SHIPPED

    }

    record Order(long id, String customer, Status status, BigDecimal total, OffsetDateTime placedAt) {
    }

    record NewOrder(long id, String customer, Status status, BigDecimal total) {
    }

    @BeforeAll
    static void start(PostgresNode node) {
        dataSource = TestDataSources.pooled(node, 4);
        postgres = new PostgresTemplate(dataSource);
        postgres.exec("create type order_status as enum ('OPEN', 'PAID', 'SHIPPED')");
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    @BeforeEach
    void createTable() {
        postgres.exec("drop table if exists orders");
        postgres.exec("create table orders (id bigint primary key, customer text not null, "
                + "status order_status not null, total numeric(12,2) not null, "
                + "placed_at timestamptz not null default now())");
        postgres.exec("insert into orders (id, customer, status, total) values (1, 'ada', 'OPEN', 10.50), "
                + "(2, 'ada', 'PAID', 20.00), (3, 'bob', 'SHIPPED', 7.25)");
    }

    @Test
    void queryAllMapsEveryRowInOrder() {
        List<Order> orders = postgres.queryAll(Order.class, "select * from orders where customer = ? order by id",
                "ada");
        assertThat(orders).extracting(Order::id).containsExactly(1L, 2L);
        assertThat(orders.get(0).status()).isEqualTo(Status.OPEN);
        assertThat(orders.get(1).total()).isEqualByComparingTo("20.00");
        assertThat(postgres.queryAll(Order.class, "select * from orders where customer = ?", "nobody")).isEmpty();
    }

    @Test
    void queryAllWithARowMapper() {
        List<String> names = postgres.queryAll("select customer, id from orders order by id",
                (rs, rowNum) -> rowNum + ":" + rs.getString(1));
        assertThat(names).containsExactly("0:ada", "1:ada", "2:bob");
    }

    @Test
    void queryOneReturnsTheRowOrEmptyAndRejectsMore() {
        assertThat(postgres.queryOne(Order.class, "select * from orders where id = ?", 3L))
            .hasValueSatisfying((order) -> assertThat(order.customer()).isEqualTo("bob"));
        assertThat(postgres.queryOne(Order.class, "select * from orders where id = ?", 99L)).isEmpty();
        assertThat(postgres.queryOne(String.class, "select null::text")).isEmpty();
        assertThatExceptionOfType(IncorrectResultSizeDataAccessException.class)
            .isThrownBy(() -> postgres.queryOne(Order.class, "select * from orders where customer = ?", "ada"))
            .withMessageContaining("at most one row")
            .satisfies((ex) -> assertThat(ex.getActualSize()).isEqualTo(2));
        assertThatExceptionOfType(IncorrectResultSizeDataAccessException.class)
            .isThrownBy(() -> postgres.queryOne("select id from orders", (rs, n) -> rs.getLong(1)));
    }

    @Test
    void queryCountReadsOneNumber() {
        assertThat(postgres.queryCount("select count(*) from orders where customer = ?", "ada")).isEqualTo(2);
        assertThat(postgres.queryCount("select count(*) from orders where false")).isZero();
        assertThatExceptionOfType(IncorrectResultSizeDataAccessException.class)
            .isThrownBy(() -> postgres.queryCount("select id from orders where false"));
        assertThatExceptionOfType(IncorrectResultSizeDataAccessException.class)
            .isThrownBy(() -> postgres.queryCount("select id from orders"));
        assertThatExceptionOfType(io.nexs.postgres.query.RowMappingException.class)
            .isThrownBy(() -> postgres.queryCount("select null::bigint as n"))
            .withMessageContaining("\"n\"")
            .withMessageContaining("int8");
    }

    @Test
    void execReturnsRowsAffected() {
        assertThat(postgres.exec("update orders set total = total + 1 where customer = ?", "ada")).isEqualTo(2);
        assertThat(postgres.exec("delete from orders where id = ?", 99L)).isZero();
    }

    @Test
    void namedParametersComeFromAMapARecordOrPairsAndCollectionsExpand() {
        assertThat(postgres.queryAll(Long.class, "select id from orders where customer = :c and status = :s",
                NamedParameters.of(Map.of("c", "ada", "s", Status.PAID)))).containsExactly(2L);
        assertThat(postgres.exec("insert into orders (id, customer, status, total) values "
                + "(:id, :customer, :status, :total)",
                NamedParameters.of(new NewOrder(4, "cy", Status.OPEN, new BigDecimal("1.00"))))).isEqualTo(1);
        assertThat(postgres.queryAll(Long.class, "select id from orders where id in (:ids) order by id",
                NamedParameters.of("ids", List.of(1L, 3L, 4L)))).containsExactly(1L, 3L, 4L);
        assertThat(postgres.queryCount("select count(*) from orders where status::text = :s and total > :t",
                NamedParameters.of("s", "OPEN", "t", 5))).isEqualTo(1);
        // A PostgreSQL cast is not a parameter.
        assertThat(postgres.queryOne(String.class, "select :v::text || '!'", NamedParameters.of("v", "x")))
            .contains("x!");
    }

    @Test
    void valuesAreBoundAsPostgresExpectsThem() {
        Instant instant = Instant.parse("2031-05-06T07:08:09.123456Z");
        assertThat(postgres.queryOne(Instant.class, "select ?::timestamptz", instant)).contains(instant);
        assertThat(postgres.queryOne(OffsetDateTime.class, "select ?::timestamptz",
                instant.atZone(ZoneOffset.ofHours(2)))).hasValueSatisfying(
                        (value) -> assertThat(value.toInstant()).isEqualTo(instant));
        UUID uuid = UUID.randomUUID();
        assertThat(postgres.queryOne(UUID.class, "select ?", uuid)).contains(uuid);
        assertThat(postgres.queryOne(LocalDate.class, "select ?", LocalDate.of(1999, 12, 31)))
            .contains(LocalDate.of(1999, 12, 31));
        assertThat(postgres.queryCount("select count(*) from orders where status = ?", Status.SHIPPED)).isOne();
        assertThat(postgres.queryAll(Long.class, "select id from orders where id = any(?) order by id",
                List.of(2L, 3L))).containsExactly(2L, 3L);
        assertThat(postgres.queryAll(String.class, "select unnest(?::text[])", List.of(Status.OPEN, Status.PAID)))
            .containsExactly("OPEN", "PAID");
        assertThat(postgres.queryOne(Boolean.class, "select ?::text is null", (Object) null)).contains(true);
        assertThat(postgres.queryOne(BigDecimal.class, "select ?::numeric * 2",
                new java.math.BigInteger("123456789012345678901234567890")))
            .hasValueSatisfying((value) -> assertThat(value)
                .isEqualByComparingTo("246913578024691357802469135780"));
        assertThat(postgres.queryOne(byte[].class, "select ?", new byte[] { 1, 2, 3 })).hasValueSatisfying(
                (bytes) -> assertThat(bytes).containsExactly(1, 2, 3));
    }

    @Test
    void batchRunsEveryParameterSetAndReportsEachCount() {
        int[] counts = postgres.batch("update orders set total = total + ? where customer = ?",
                List.of(new Object[] { 1, "ada" }, new Object[] { 2, "bob" }, new Object[] { 3, "nobody" }));
        assertThat(counts).containsExactly(2, 1, 0);
        int[] inserted = postgres.batch("insert into orders (id, customer, status, total) "
                + "values (:id, :customer, :status, :total)",
                List.of(new NewOrder(10, "x", Status.OPEN, BigDecimal.ONE),
                        new NewOrder(11, "y", Status.PAID, BigDecimal.TEN),
                        Map.of("id", 12, "customer", "z", "status", Status.SHIPPED, "total", 3)));
        assertThat(inserted).hasSize(3).containsOnly(Statement.SUCCESS_NO_INFO, 1);
        assertThat(postgres.queryCount("select count(*) from orders where id >= 10")).isEqualTo(3);
        assertThat(postgres.batch("delete from orders where id = ?", List.of())).isEmpty();
    }

    @Test
    void aBatchOfSingleValuesBindsEachToTheOnlyPlaceholder() {
        postgres.exec("update orders set total = 0 where id in (1, 2)");
        int[] counts = postgres.batch("update orders set total = total + 5 where id = ?", List.of(1, 2, 999));
        assertThat(counts).containsExactly(1, 1, 0);
        assertThat(postgres.queryCount("select count(*) from orders where id in (1, 2) and total = 5")).isEqualTo(2);
    }

    @Test
    void aBatchRefusesBeansForPositionalPlaceholdersBeforeSendingAnything() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> postgres.batch("delete from orders where id = ?",
                    List.of(new NewOrder(1, "x", Status.OPEN, BigDecimal.ONE))))
            .withMessageContaining("Object[]");
        assertThat(postgres.queryCount("select count(*) from orders where id = 1")).isEqualTo(1);
    }

    @Test
    void aFailingBatchWritesNothingAndDoesNotQuoteItsValues() {
        String secret = "s3cret-value-in-batch";
        assertThatExceptionOfType(DataIntegrityViolationException.class)
            .isThrownBy(() -> postgres.batch("insert into orders (id, customer, status, total) values (?, ?, ?, ?)",
                    List.of(new Object[] { 20L, secret, Status.OPEN, 1 }, new Object[] { 1L, secret, Status.OPEN, 1 })))
            .satisfies((ex) -> assertThat(fullText(ex)).doesNotContain(secret).contains("23505"));
        assertThat(postgres.queryCount("select count(*) from orders where id = 20")).isZero();
    }

    @Test
    void pipelineSendsDifferentStatementsAsOneUnit() {
        int[] counts = postgres.pipeline()
            .add("update orders set total = total - ? where id = ?", new BigDecimal("1.50"), 1L)
            .add("update orders set total = total + ? where id = ?;", new BigDecimal("1.50"), 2L)
            .add("insert into orders (id, customer, status, total) values (:id, :c, 'OPEN', 0)",
                    NamedParameters.of("id", 30L, "c", "pipe"))
            .add("select id from orders where customer = ?", "ada")
            .execute();
        assertThat(counts).containsExactly(1, 1, 1, 2);
        assertThat(postgres.queryOne(BigDecimal.class, "select total from orders where id = 1"))
            .hasValueSatisfying((total) -> assertThat(total).isEqualByComparingTo("9.00"));

        assertThatExceptionOfType(DuplicateKeyException.class).isThrownBy(() -> postgres.pipeline()
            .add("update orders set total = 0 where id = ?", 1L)
            .add("insert into orders (id, customer, status, total) values (?, 'dup', 'OPEN', 0)", 2L)
            .execute());
        assertThat(postgres.queryOne(BigDecimal.class, "select total from orders where id = 1"))
            .as("the first statement was undone with the failing one")
            .hasValueSatisfying((total) -> assertThat(total).isEqualByComparingTo("9.00"));
        assertThat(postgres.pipeline().execute()).isEmpty();
    }

    @Test
    void pipelineRejectsMoreThanOneStatementPerAdd() {
        Pipeline pipeline = postgres.pipeline();
        assertThatIllegalArgumentException().isThrownBy(() -> pipeline.add("delete from orders; drop table orders"))
            .withMessageContaining("Statement 1")
            .withMessageContaining("';'");
        assertThatIllegalArgumentException().isThrownBy(() -> pipeline.add("  ;  "))
            .withMessageContaining("empty");
        assertThat(pipeline.size()).isZero();
        assertThat(postgres.queryCount("select count(*) from orders")).isEqualTo(3);
    }

    @Test
    void streamReadsThroughACursorAndGivesTheConnectionBackWhenClosed() {
        postgres.exec("insert into orders (id, customer, status, total) "
                + "select g, 'bulk', 'OPEN', g from generate_series(100, 2599) g");
        long sum;
        try (Stream<Order> orders = postgres.stream(Order.class, "select * from orders where customer = ?", "bulk")) {
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isOne();
            sum = orders.mapToLong(Order::id).sum();
        }
        assertThat(sum).isEqualTo((100L + 2599L) * 2500 / 2);
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        try (Stream<String> names = postgres.stream("select customer from orders order by id",
                (rs, rowNum) -> rowNum + rs.getString(1))) {
            assertThat(names.limit(2)).containsExactly("0ada", "1ada");
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        List<Long> seen = new java.util.ArrayList<>();
        assertThat(postgres.forEach(Long.class, "select id from orders where id < ? order by id", seen::add, 3L))
            .isEqualTo(2);
        assertThat(seen).containsExactly(1L, 2L);
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        // The connection went back in auto-commit, read-write mode.
        assertThat(postgres.exec("update orders set total = 0 where id = 1")).isOne();
    }

    @Test
    void aStreamThatFailsToOpenReleasesItsConnection() {
        assertThatExceptionOfType(BadSqlGrammarException.class)
            .isThrownBy(() -> postgres.stream(Order.class, "select * from no_such_table"));
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
    }

    @Test
    void sqlErrorsAreTranslatedByStateWithoutTheBoundValues() {
        String secret = "hunter2-not-a-number";
        assertThatExceptionOfType(DataIntegrityViolationException.class)
            .isThrownBy(() -> postgres.queryAll(Order.class, "select * from orders where id = ?::bigint", secret))
            .satisfies((ex) -> {
                assertThat(fullText(ex)).doesNotContain(secret).contains("22P02");
                assertThat(ex.getMessage()).contains("invalid input syntax for type bigint");
            });
        assertThatExceptionOfType(DuplicateKeyException.class)
            .isThrownBy(() -> postgres.exec("insert into orders (id, customer, status, total) values (?, ?, ?, ?)",
                    1L, "mallory@example.com", Status.OPEN, 1))
            .satisfies((ex) -> assertThat(fullText(ex)).doesNotContain("mallory@example.com").contains("23505")
                .contains("orders_pkey"));
        assertThatExceptionOfType(BadSqlGrammarException.class)
            .isThrownBy(() -> postgres.exec("update no_such_table set x = ?", secret))
            .satisfies((ex) -> assertThat(ex.getSQLException().getSQLState()).isEqualTo("42P01"));
    }

    @Test
    void valuesStayOutOfMessagesEvenWhenTheDriverWouldShowTheDetailLine(PostgresNode node) {
        try (HikariDataSource plain = TestDataSources.pooled(node, 1)) {
            plain.addDataSourceProperty("logServerErrorDetail", "true");
            PostgresTemplate template = new PostgresTemplate(plain);
            template.exec("create table if not exists people (email text primary key, age int check (age >= 0))");
            template.exec("insert into people values ('ada@example.com', 36) on conflict do nothing");
            assertThatExceptionOfType(DuplicateKeyException.class)
                .isThrownBy(() -> template.exec("insert into people select email, age from people"))
                .satisfies((ex) -> assertThat(fullText(ex)).doesNotContain("ada@example.com")
                    .contains("people_pkey"));
            assertThatExceptionOfType(DataIntegrityViolationException.class)
                .isThrownBy(() -> template.exec("insert into people values (?, ?)", "bob-the-secret@example.com", -1))
                .satisfies((ex) -> assertThat(fullText(ex)).doesNotContain("bob-the-secret").contains("23514"));
        }
    }

    @Test
    void aFailedBatchNamesTheFailingEntry() {
        postgres.exec("alter table orders add constraint positive check (total >= 0)");
        assertThatExceptionOfType(DataIntegrityViolationException.class)
            .isThrownBy(() -> postgres.batch("update orders set total = total - ? where id = ?",
                    List.of(new Object[] { 1, 1L }, new Object[] { 100, 2L }, new Object[] { 1, 3L })))
            .withMessageContaining("Batch entry 2 failed")
            .withMessageContaining("positive");
        assertThat(postgres.queryOne(BigDecimal.class, "select total from orders where id = 1"))
            .hasValueSatisfying((total) -> assertThat(total).isEqualByComparingTo("10.50"));
    }

    @Test
    void aNamedBatchMustExpandToOneStatement() {
        assertThatExceptionOfType(InvalidDataAccessApiUsageException.class)
            .isThrownBy(() -> postgres.batch("delete from orders where id in (:ids)",
                    List.of(Map.of("ids", List.of(1L)), Map.of("ids", List.of(2L, 3L)))))
            .withMessageContaining("Parameter set 2");
        assertThat(postgres.queryCount("select count(*) from orders")).isEqualTo(3);
    }

    @Test
    void aNamedJavaArrayBindsAsAPostgresArray() {
        assertThat(postgres.queryAll(Long.class, "select id from orders where id = any(:ids) order by id",
                NamedParameters.of("ids", new Long[] { 1L, 3L }))).containsExactly(1L, 3L);
        assertThat(postgres.queryOne(Boolean.class, "select date '2020-02-29' = any(?)",
                List.of(LocalDate.of(2020, 2, 29)))).contains(true);
    }

    @Test
    void aMapAsTheOnlyPositionalParameterIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> postgres.queryAll(Long.class, "select id from orders where id = :id",
                    Map.of("id", 1L)))
            .withMessageContaining("NamedParameters.of");
    }

    @Test
    void queryCountRefusesFractionsAndTextWithoutQuotingThem() {
        assertThatExceptionOfType(io.nexs.postgres.query.RowMappingException.class)
            .isThrownBy(() -> postgres.queryCount("select 1.5::numeric as n"))
            .satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain("1.5"));
        assertThatExceptionOfType(io.nexs.postgres.query.RowMappingException.class)
            .isThrownBy(() -> postgres.queryCount("select 'row-secret-value'::text as n"))
            .satisfies((ex) -> assertThat(fullText(ex)).doesNotContain("row-secret-value"));
    }

    @Test
    void aPipelineStatementMayEndWithAComment() {
        assertThat(postgres.pipeline()
            .add("update orders set total = 1 where id = 1 -- first")
            .add("update orders set total = 2 where id = 2")
            .execute()).containsExactly(1, 1);
    }

    @Test
    void aStreamOutsideATransactionLeavesTheThreadsConnectionAlone() {
        TransactionTemplate supports = new TransactionTemplate(new JdbcTransactionManager(dataSource));
        supports.setPropagationBehavior(TransactionDefinition.PROPAGATION_SUPPORTS);
        supports.executeWithoutResult((status) -> {
            assertThat(postgres.exec("update orders set total = 5 where id = 1")).isOne();
            try (Stream<Long> ids = postgres.stream(Long.class, "select id from orders order by id")) {
                assertThat(ids.findFirst()).contains(1L);
                // The stream runs on a connection of its own: the thread's stays writable and auto-committing.
                assertThat(postgres.exec("update orders set total = 6 where id = 1")).isOne();
            }
        });
        assertThat(postgres.queryOne(BigDecimal.class, "select total from orders where id = 1"))
            .hasValueSatisfying((total) -> assertThat(total).isEqualByComparingTo("6"));
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
    }

    @Test
    void aStreamThatFailsPartWayGivesBackAUsableConnection() {
        try (Stream<Long> values = postgres.stream(Long.class,
                "select 10000 / (g - 2500) from generate_series(1, 3000) g")) {
            assertThatExceptionOfType(DataIntegrityViolationException.class)
                .isThrownBy(() -> values.forEach((value) -> assertThat(value).isNotNull()))
                .satisfies((ex) -> assertThat(fullText(ex)).contains("22012"));
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        for (int i = 0; i < 4; i++) {
            // Every connection of the pool is back in auto-commit, read-write mode.
            assertThat(postgres.exec("update orders set total = total where id = 1")).isOne();
        }
    }

    @Test
    void notifyChecksTheChannelAndPayload() {
        assertThatIllegalArgumentException().isThrownBy(() -> postgres.notify("orders", "x".repeat(8000)));
        assertThatIllegalArgumentException().isThrownBy(() -> postgres.notify("", "x"));
        postgres.notify("orders", "fine");
    }

    static String fullText(Throwable ex) {
        java.io.StringWriter out = new java.io.StringWriter();
        ex.printStackTrace(new java.io.PrintWriter(out));
        StringBuilder states = new StringBuilder(out.toString());
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql) {
                states.append(" state=").append(sql.getSQLState());
            }
        }
        return states.toString();
    }

}
