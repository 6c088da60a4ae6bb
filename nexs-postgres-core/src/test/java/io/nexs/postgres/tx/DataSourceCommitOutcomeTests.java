package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.quickSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A commit lost in flight on the provider's routed data source, committed by Spring's plain
 * {@link JdbcTransactionManager}, which knows nothing of nexs-postgres: the connection settles it. As in
 * {@link CommitOutcomeTests}, a deferred trigger sleeps inside {@code COMMIT} while the test cuts the answer at a
 * {@link TcpProxy}, or ends the session.
 *
 * <p>The record query is counted on the server: the provider's sessions find {@code pg_current_xact_id_if_assigned}
 * first in a schema of the test's, whose function of that name counts its calls in a sequence (which no rollback
 * undoes) and asks the real one.
 */
@ExtendWith(PostgresExtension.class)
class DataSourceCommitOutcomeTests {

    private static PostgresNode node;

    private static Admin admin;

    private static TcpProxy proxy;

    /**
     * The table whose commits sleep when asked, and the counted record query: the function the provider's sessions
     * find first asks the real one, then counts.
     */
    private static final List<String> SCHEMA = List.of("create table ds_commit_rows (id int primary key)",
            "create schema counting", "create sequence counting.records",
            "create function counting.pg_current_xact_id_if_assigned() returns xid8 language plpgsql as $$ "
                    + "declare id xid8 := pg_catalog.pg_current_xact_id_if_assigned(); "
                    + "begin perform nextval('counting.records'); return id; end $$");

    /** The test's own provider, over the node behind the proxy; closed after the test. */
    private DefaultPostgresProvider provider;

    @BeforeAll
    static void start(PostgresNode postgresNode) throws SQLException {
        node = postgresNode;
        admin = new Admin(node);
        SCHEMA.forEach(admin::execute);
        admin.sleepAtCommit("ds_commit_rows");
        proxy = TcpProxy.forNode(node);
    }

    @AfterEach
    void healTheNetwork() {
        proxy.blackHole(false);
        proxy.refuseNewConnections(false);
        if (this.provider != null) {
            this.provider.close();
        }
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        admin.close();
    }

    /** A provider over the node behind the proxy, whose sessions count the record query. */
    private DefaultPostgresProvider provider(RetrySettings settings) {
        this.provider = RetryTestSupport.provider(node, proxy.host(), proxy.port(), Topologies.fast(), settings,
                Map.of("options", "-c search_path=counting,public,pg_catalog"));
        return this.provider;
    }

    /** Quick retries, and a commit check that gives up after 800 ms. */
    private static RetrySettings impatient() {
        RetrySettings quick = quickSettings(3);
        return new RetrySettings(true, quick.maxAttempts(), quick.initialInterval(), quick.multiplier(),
                quick.maxInterval(), quick.jitter(), true, Duration.ofMillis(800));
    }

    private static TransactionTemplate transactions(PlatformTransactionManager transactionManager) {
        return new TransactionTemplate(transactionManager);
    }

    /** Inserts a row in a transaction of Spring's own manager; the commit sleeps {@code seconds} on the server. */
    private CompletableFuture<Object> insertWithSlowCommit(int id, double seconds) {
        JdbcTemplate jdbc = new JdbcTemplate(this.provider.dataSource());
        TransactionTemplate transactions = transactions(new JdbcTransactionManager(this.provider.dataSource()));
        return CompletableFuture.supplyAsync(() -> transactions.execute((status) -> {
            jdbc.execute("set local nexs_test.commit_sleep = '" + seconds + "'");
            jdbc.update("insert into ds_commit_rows values (?)", id);
            return "done";
        }));
    }

    /** What the work failed with. */
    private static Throwable failure(CompletableFuture<?> result) {
        ExecutionException failed = catchThrowableOfType(ExecutionException.class,
                () -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertThat(failed).as("the work failed").isNotNull();
        return failed.getCause();
    }

    /**
     * The unknown outcome as Spring's own translation delivers it: the connection's exception, translated by its
     * type, has it as its cause.
     */
    private static CommitOutcomeUnknownException unknownBehindResourceFailure(CompletableFuture<?> result) {
        Throwable failure = failure(result);
        assertThat(failure).isInstanceOf(DataAccessResourceFailureException.class);
        assertThat(failure.getCause()).isInstanceOf(SQLException.class);
        assertThat(failure.getCause().getCause()).isInstanceOf(CommitOutcomeUnknownException.class);
        return (CommitOutcomeUnknownException) failure.getCause().getCause();
    }

    private static long rows(int id) {
        return admin.number("select count(*) from ds_commit_rows where id = ?", id);
    }

    private static long records() {
        return admin.number("select case when is_called then last_value else 0 end from counting.records");
    }

    @Test
    void aCommitWhoseAnswerIsLostReturnsNormallyUnderSpringsOwnTransactionManager() throws Exception {
        provider(quickSettings(3));
        CompletableFuture<Object> result = insertWithSlowCommit(1, 0.5);
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        // the server's answer to COMMIT will never reach the client
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(1) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("done");
        assertThat(rows(1)).isOne();
        assertThat(this.provider.retryStatistics().commitsVerified()).isOne();
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
    }

    @Test
    void aCommitWhoseSessionIsTerminatedIsTransientUnderSpringsOwnTransactionManager() {
        provider(quickSettings(3));
        CompletableFuture<Object> result = insertWithSlowCommit(2, 5);
        admin.terminate(admin.awaitWaiting("COMMIT", "PgSleep"));

        // the failed commit is not overridden by a failed rollback on the dead connection
        assertThat(failure(result)).isInstanceOf(TransientDataAccessResourceException.class)
            .hasMessageContaining("the primary reports it did not commit");
        assertThat(rows(2)).isZero();
        assertThat(this.provider.retryStatistics().commitsUnknown()).isZero();
    }

    @Test
    void whenThePrimaryCannotBeAskedTheUnknownOutcomeIsTheCauseUnderSpringsOwnTransactionManager() throws Exception {
        provider(impatient());
        CompletableFuture<Object> result = insertWithSlowCommit(3, 1);
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.refuseNewConnections(true);
        proxy.cutConnections();

        // Spring's translation wraps what the connection threw: the outcome is its cause
        assertThat(unknownBehindResourceFailure(result).getTransactionId()).isPositive();
        assertThat(this.provider.retryStatistics().commitsUnknown()).isOne();
        // nobody ended the session, so the server committed
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
        assertThat(rows(3)).isOne();
    }

    @Test
    void underPostgresTransactionManagerTheUnknownOutcomeReachesTheCallerItself() {
        provider(impatient());
        PostgresTransactionManager transactionManager = new PostgresTransactionManager(this.provider.dataSource(),
                new SqlErrors(), new CommitOutcomeCheck(this.provider.dataSource(), WAIT),
                new Retrier(quickSettings(1), TransientErrors.defaults()));
        JdbcTemplate jdbc = new JdbcTemplate(this.provider.dataSource());
        CompletableFuture<Object> result = CompletableFuture
            .supplyAsync(() -> transactions(transactionManager).execute((status) -> {
                jdbc.execute("set local nexs_test.commit_sleep = '1'");
                return jdbc.update("insert into ds_commit_rows values (4)");
            }));
        admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.refuseNewConnections(true);
        proxy.cutConnections();

        assertThat(failure(result)).isInstanceOf(CommitOutcomeUnknownException.class);
        // the connection settled it, with the provider's retrier; the manager's own counted nothing
        assertThat(this.provider.retryStatistics().commitsUnknown()).isOne();
    }

    @Test
    void aWriteTransactionIsRecordedOnceWhicheverManagerCommitsIt() {
        provider(quickSettings(3));
        JdbcTemplate jdbc = new JdbcTemplate(this.provider.dataSource());
        PostgresTransactionManager ours = new PostgresTransactionManager(this.provider.dataSource(),
                new SqlErrors(), new CommitOutcomeCheck(this.provider.dataSource(), WAIT),
                new Retrier(quickSettings(1), TransientErrors.defaults()));
        long before = records();
        transactions(ours).executeWithoutResult((status) -> jdbc.update("insert into ds_commit_rows values (5)"));
        assertThat(records() - before).as("PostgresTransactionManager over a settling connection").isOne();

        transactions(new JdbcTransactionManager(this.provider.dataSource()))
            .executeWithoutResult((status) -> jdbc.update("insert into ds_commit_rows values (6)"));
        assertThat(records() - before).as("Spring's JdbcTransactionManager").isEqualTo(2);

        this.provider.inTransaction((status) -> this.provider.exec("insert into ds_commit_rows values (7)"));
        assertThat(records() - before).as("the library's own transaction").isEqualTo(3);
        assertThat(rows(5) + rows(6) + rows(7)).isEqualTo(3);
    }

    @Test
    void plainJdbcCommitsAreRecordedIncludingTheOneThatSwitchingAutoCommitOnMakes() throws SQLException {
        provider(quickSettings(3));
        long before = records();
        try (Connection connection = this.provider.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("insert into ds_commit_rows values (10)");
                connection.commit();
                statement.executeUpdate("insert into ds_commit_rows values (11)");
            }
            connection.setAutoCommit(true);
        }
        assertThat(records() - before).isEqualTo(2);
        assertThat(rows(10) + rows(11)).isEqualTo(2);
    }

    @Test
    void aLostAnswerToTheCommitThatSwitchingAutoCommitOnMakesIsSettledAndTheSwitchReturns() throws Exception {
        provider(quickSettings(3));
        CompletableFuture<Object> result = CompletableFuture.supplyAsync(() -> {
            try (Connection connection = this.provider.dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                connection.setAutoCommit(false);
                statement.execute("set local nexs_test.commit_sleep = '0.5'");
                statement.executeUpdate("insert into ds_commit_rows values (13)");
                // commits the transaction: its answer is lost below
                connection.setAutoCommit(true);
                return "done";
            }
            catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
        });
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(13) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("done");
        assertThat(rows(13)).isOne();
        assertThat(this.provider.retryStatistics().commitsVerified()).isOne();
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
    }

    @Test
    void aTransactionAFailedStatementAbortedCommitsAsTheDriverCommitsIt() throws SQLException {
        provider(quickSettings(3));
        long before = records();
        try (Connection connection = this.provider.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.executeUpdate("insert into ds_commit_rows values (12)");
            Throwable division = catchThrowable(() -> statement.execute("select 1 / 0"));
            assertThat(division).isInstanceOf(SQLException.class);
            // the server ends it with a rollback: nothing to settle, and the record query counted nothing
            connection.commit();
        }
        assertThat(rows(12)).isZero();
        assertThat(records() - before).isZero();
    }

    @Test
    void readOnlyTransactionsAndTransactionsThatRanNothingSendNoRecordQuery() {
        provider(quickSettings(3));
        JdbcTemplate jdbc = new JdbcTemplate(this.provider.dataSource());
        long before = records();
        TransactionTemplate readOnly = transactions(new JdbcTransactionManager(this.provider.dataSource()));
        readOnly.setReadOnly(true);
        Long count = readOnly.execute((status) -> jdbc.queryForObject("select count(*) from ds_commit_rows",
                Long.class));
        assertThat(count).isNotNull();
        transactions(new JdbcTransactionManager(this.provider.dataSource())).executeWithoutResult((status) -> {
        });
        // a transaction whose connection was fetched but ran no statement
        transactions(new JdbcTransactionManager(this.provider.dataSource())).executeWithoutResult((status) -> {
            try {
                assertThat(DataSourceUtils.getConnection(this.provider.dataSource()).isValid(1)).isTrue();
            }
            catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
        });
        jdbc.update("insert into ds_commit_rows values (8)");
        assertThat(records() - before).isZero();
        assertThat(rows(8)).as("an auto-commit write").isOne();
    }

    @Test
    void withoutTheOutcomeCheckNothingIsRecordedAndALostCommitIsUnknown() throws Exception {
        provider(quickSettings(3).withVerifyCommit(false));
        long before = records();
        CompletableFuture<Object> result = insertWithSlowCommit(9, 0.5);
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.cutConnections();

        assertThat(unknownBehindResourceFailure(result)).hasMessageContaining("verify-commit");
        assertThat(records() - before).isZero();
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
        assertThat(rows(9)).isOne();
    }

}
