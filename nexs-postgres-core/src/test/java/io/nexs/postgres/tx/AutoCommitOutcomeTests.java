package io.nexs.postgres.tx;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import io.nexs.postgres.tx.RetryTestSupport.RefusingDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.quickSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Writes outside a transaction whose connection is lost. A deferred constraint trigger makes the server sleep while
 * it commits (when the session's {@code nexs_test.commit_sleep} asks), so the test can cut the client's connection
 * at a {@link TcpProxy} after the server committed but before its answer arrived, or before it committed. A write
 * that may have been applied must never be reported as transient; with the outcome settled, the caller learns
 * "applied" or "not applied".
 */
@ExtendWith(PostgresExtension.class)
class AutoCommitOutcomeTests {

    private static TcpProxy proxy;

    private static Admin admin;

    private static PostgresNode node;

    /** One connection through the proxy, new for each test. */
    private HikariDataSource dataSource;

    @BeforeAll
    static void start(PostgresNode postgresNode) throws SQLException {
        node = postgresNode;
        proxy = TcpProxy.forNode(node);
        admin = new Admin(node);
        admin.execute("create table auto_rows (id int not null)");
        admin.execute("create function sleep_at_auto_commit() returns trigger language plpgsql as $$ begin "
                + "perform pg_sleep(coalesce(nullif(current_setting('nexs_test.commit_sleep', true), '')::float8, 0)); "
                + "return null; end $$");
        admin.execute("create constraint trigger sleep_at_auto_commit after insert on auto_rows "
                + "deferrable initially deferred for each row execute function sleep_at_auto_commit()");
        admin.execute("create table routed_rows (id int not null)");
        admin.execute("create function sleep_half_a_second() returns trigger language plpgsql as $$ begin "
                + "perform pg_sleep(0.5); return null; end $$");
        admin.execute("create constraint trigger sleep_half_a_second after insert on routed_rows "
                + "deferrable initially deferred for each row execute function sleep_half_a_second()");
    }

    @BeforeEach
    void openPool() {
        this.dataSource = pool(node, proxy.jdbcUrl(), 1);
    }

    @AfterEach
    void healTheNetwork() {
        proxy.blackHole(false);
        this.dataSource.close();
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        admin.close();
    }

    private static Retrier retrier(boolean settle) {
        return new Retrier(quickSettings(3).withSettleAutoCommitWrites(settle), TransientErrors.defaults());
    }

    private static long rows(int id) {
        return admin.number("select count(*) from auto_rows where id = ?", id);
    }

    /** Runs the write; once its commit sleeps, lets it finish on the server and loses its answer. */
    private static <T> CompletableFuture<T> loseTheAnswer(int id, String commitQuery, Supplier<T> write) {
        CompletableFuture<T> result = CompletableFuture.supplyAsync(write);
        admin.awaitWaiting(commitQuery, "PgSleep");
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(id) > 0);
        proxy.cutConnections();
        proxy.blackHole(false);
        return result;
    }

    private static void assertOutcomeUnknown(CompletableFuture<?> result) {
        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .isInstanceOf(OutcomeUnknownException.class)
            .isNotInstanceOf(TransientDataAccessException.class)
            .withMessageContaining("may or may not have applied it")
            .withMessageContaining("must not be retried blindly")
            .satisfies((ex) -> assertThat(TransientErrors.defaults().isTransient(ex)).isFalse());
    }

    @Test
    void anExecAppliedWhoseAnswerIsLostIsReportedUnknownNotTransientAndNotSentAgain() throws Exception {
        Retrier retrier = retrier(false);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        postgres.exec("set nexs_test.commit_sleep = '0.5'");
        CompletableFuture<Integer> result = loseTheAnswer(1, "insert into auto_rows",
                () -> postgres.exec("insert into auto_rows values (1)"));

        assertOutcomeUnknown(result);
        assertThat(rows(1)).as("applied once, not retried").isOne();
        assertThat(retrier.statistics().retries()).isZero();
    }

    @Test
    void aBatchAndAPipelineAppliedWhoseAnswersAreLostAreReportedUnknown() throws Exception {
        PostgresTemplate postgres = template(this.dataSource, retrier(false));
        postgres.exec("set nexs_test.commit_sleep = '0.5'");
        // both run as one transaction, so that they apply all or nothing: the answer lost is the COMMIT's
        assertOutcomeUnknown(loseTheAnswer(2, "COMMIT",
                () -> postgres.batch("insert into auto_rows values (?)", List.of(2, 2))));
        assertThat(rows(2)).isEqualTo(2);

        postgres.exec("set nexs_test.commit_sleep = '0.5'");
        assertOutcomeUnknown(loseTheAnswer(3, "COMMIT",
                () -> postgres.pipeline().add("insert into auto_rows values (3)")
                    .add("insert into auto_rows values (3)").execute()));
        assertThat(rows(3)).isEqualTo(2);
    }

    @Test
    void aQueryThatWritesAndWhoseAnswerIsLostIsReportedUnknownButOneThatOnlyReadsStaysTransient() throws Exception {
        Retrier retrier = retrier(false);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        postgres.exec("set nexs_test.commit_sleep = '0.5'");
        assertOutcomeUnknown(loseTheAnswer(10, "insert into auto_rows",
                () -> postgres.queryAll("insert into auto_rows values (10) returning id", (rs, n) -> rs.getInt(1))));
        assertThat(rows(10)).isOne();
        assertThat(retrier.statistics().retries()).isZero();

        // a query that only reads is transient, so the provider ran it again
        CompletableFuture<Long> read = CompletableFuture
            .supplyAsync(() -> postgres.queryCount("select count(*) from pg_sleep(1)"));
        admin.awaitWaiting("pg_sleep(1)", "PgSleep");
        assertThat(proxy.cutConnections()).isPositive();
        assertThat(read.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isOne();
        assertThat(retrier.statistics().retries()).isOne();
    }

    @Test
    void aSettledExecWhoseAnswerIsLostIsFoundAppliedAndReturns() throws Exception {
        Retrier retrier = retrier(true);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        postgres.exec("set nexs_test.commit_sleep = '0.5'");
        CompletableFuture<Integer> result = loseTheAnswer(4, "COMMIT",
                () -> postgres.exec("insert into auto_rows values (4)"));

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isOne();
        assertThat(rows(4)).isOne();
        assertThat(retrier.statistics().commitsVerified()).isOne();
        assertThat(retrier.statistics().retries()).isZero();
    }

    @Test
    void aSettledExecCutWhileItStillCommitsIsFoundNotAppliedAndRetried() throws Exception {
        Retrier retrier = retrier(true);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        // the session's setting goes with the cut connection: the retry commits without sleeping
        postgres.exec("set nexs_test.commit_sleep = '5'");
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.exec("insert into auto_rows values (5)"));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        assertThat(proxy.cutConnections()).isPositive();

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isOne();
        assertThat(admin.isAlive(backend)).as("the orphan session was ended to settle it").isFalse();
        assertThat(rows(5)).as("applied exactly once").isOne();
        assertThat(retrier.statistics().retries()).isOne();
    }

    @Test
    void aSettledExecWhoseSessionEndsBeforeItsCommitIsTransientAndNotApplied() {
        PostgresTemplate postgres = template(this.dataSource,
                new Retrier(quickSettings(1).withSettleAutoCommitWrites(true), TransientErrors.defaults()));
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.exec("insert into auto_rows select 6 from pg_sleep(5)"));
        admin.terminate(admin.awaitWaiting("insert into auto_rows", "PgSleep"));

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .isInstanceOf(TransientDataAccessException.class)
            .withMessageContaining("so it was not applied");
        assertThat(rows(6)).isZero();
    }

    @Test
    void aSettledStatementThatRefusesATransactionRunsUnderAutoCommit() {
        PostgresTemplate postgres = template(this.dataSource, retrier(true));
        postgres.exec("vacuum auto_rows");
        assertThat(postgres.exec("insert into auto_rows values (7)")).isOne();
        assertThat(rows(7)).isOne();
    }

    /**
     * The routed {@code DataSource} that {@code JdbcTemplate}, {@code @Transactional} and JPA use hands out the
     * node's connections as they are: Spring translates the lost connection by its SQLSTATE (class {@code 08}) to
     * a non-transient {@link DataAccessResourceFailureException}, and nothing of nexs-postgres makes it transient.
     */
    @Test
    void anAutoCommitJdbcTemplateUpdateAppliedWhoseAnswerIsLostIsNotTransient() throws Exception {
        try (ClusterTopology topology = Topologies.start(List.of(Topologies.definition(node, proxy)),
                Topologies.fast())) {
            JdbcTemplate jdbc = new JdbcTemplate(RoutingDataSource.primary(topology));
            CompletableFuture<Integer> result = CompletableFuture
                .supplyAsync(() -> jdbc.update("insert into routed_rows values (9)"));
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> admin.number(
                    "select count(*) from pg_stat_activity where wait_event = 'PgSleep' "
                            + "and strpos(query, 'insert into routed_rows') > 0") == 1);
            proxy.blackHole(true);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(10))
                .until(() -> admin.number("select count(*) from routed_rows where id = 9") == 1);
            proxy.cutConnections();
            proxy.blackHole(false);

            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isInstanceOf(DataAccessResourceFailureException.class)
                .isNotInstanceOf(TransientDataAccessException.class);
            assertThat(admin.number("select count(*) from routed_rows where id = 9")).isOne();
        }
    }

    @Test
    void aWriteThatGetsNoConnectionWasNotSentAndIsTransient() {
        try (HikariDataSource direct = pool(node, 1)) {
            PostgresTemplate postgres = template(new RefusingDataSource(direct, 1), Retrier.disabled());
            assertThatExceptionOfType(TransientDataAccessException.class)
                .isThrownBy(() -> postgres.exec("insert into auto_rows values (8)"))
                .withMessageContaining("nothing was sent");
            assertThat(rows(8)).isZero();
        }
    }

}
