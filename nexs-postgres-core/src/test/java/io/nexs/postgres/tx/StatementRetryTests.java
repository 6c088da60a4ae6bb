package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import io.nexs.postgres.tx.RetryTestSupport.RefusingDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.BadSqlGrammarException;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.retrier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Statements outside a transaction, retried one by one against a real server: a query runs again after its
 * connection was lost; a write runs again only when it never reached the server or the server answered with a
 * transient error, never when the connection was lost after it was sent (the server may have applied it); a
 * batch only before it was sent; a stream only while it opens. Permanent errors are never retried.
 */
@ExtendWith(PostgresExtension.class)
class StatementRetryTests {

    private static PostgresNode node;

    private static HikariDataSource dataSource;

    private static TcpProxy proxy;

    private static Admin admin;

    @BeforeAll
    static void start(PostgresNode postgresNode) throws SQLException {
        node = postgresNode;
        dataSource = pool(node, 4);
        proxy = TcpProxy.forNode(node);
        admin = new Admin(node);
    }

    @AfterEach
    void healTheNetwork() {
        proxy.blackHole(false);
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        dataSource.close();
        admin.close();
    }

    private static void table(String name) {
        admin.execute("drop table if exists " + name);
        admin.execute("create table " + name + " (id int)");
    }

    private static long backendPid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                var rows = statement.executeQuery("select pg_backend_pid()")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Leaves the pool's only connection idle in the pool with its session ended by the server. */
    private static long terminateIdleConnection(HikariDataSource single) throws SQLException {
        try (Connection connection = single.getConnection()) {
            long pid = backendPid(connection);
            admin.terminate(pid);
            return pid;
        }
    }

    @Test
    void aQueryOnAPooledConnectionWhoseSessionWasTerminatedIsRetriedOnAFreshOne() throws SQLException {
        try (HikariDataSource single = pool(node, 1)) {
            Retrier retrier = retrier(3);
            PostgresTemplate postgres = template(single, retrier);
            long terminated = terminateIdleConnection(single);
            long answered = postgres.queryCount("select pg_backend_pid()");
            assertThat(answered).isNotEqualTo(terminated);
            assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
        }
    }

    @Test
    void aQueryWhoseSessionIsTerminatedWhileItRunsIsRetried() throws Exception {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("select pg_advisory_lock(4201)");
        CompletableFuture<Long> result;
        long terminated;
        try {
            result = CompletableFuture.supplyAsync(() -> postgres
                .queryCount("select pg_backend_pid() from (select pg_advisory_xact_lock_shared(4201)) l"));
            terminated = admin.awaitWaiting("pg_advisory_xact_lock_shared(4201)", "advisory");
            admin.terminate(terminated);
        }
        finally {
            admin.execute("select pg_advisory_unlock(4201)");
        }
        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isNotEqualTo(terminated);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
    }

    @Test
    void anInsertWhoseSessionIsTerminatedAfterItWasSentIsNotRetried() {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        table("sent_rows");
        admin.execute("select pg_advisory_lock(4202)");
        CompletableFuture<Integer> result;
        try {
            result = CompletableFuture.supplyAsync(() -> postgres
                .exec("insert into sent_rows select 1 from (select pg_advisory_xact_lock_shared(4202)) l"));
            admin.terminate(admin.awaitWaiting("insert into sent_rows", "advisory"));
        }
        finally {
            admin.execute("select pg_advisory_unlock(4202)");
        }
        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .isInstanceOfSatisfying(DataAccessException.class,
                    (ex) -> assertThat(TransientErrors.isConnectionLoss(ex)).isTrue());
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
        // the server rolled the insert back when it ended the session, and it was not sent again
        assertThat(admin.count("sent_rows")).isZero();
    }

    @Test
    void aPipelineWhoseSessionIsTerminatedBeforeItsCommitIsRetried() {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        table("pipelined_rows");
        admin.execute("select pg_advisory_lock(4204)");
        CompletableFuture<int[]> result;
        try {
            // a pipeline runs as one transaction: ended before its COMMIT was sent, it provably wrote nothing
            result = CompletableFuture.supplyAsync(() -> postgres.pipeline()
                .add("insert into pipelined_rows values (1)")
                .add("select pg_advisory_xact_lock_shared(4204)")
                .add("insert into pipelined_rows values (2)")
                .execute());
            admin.terminate(admin.awaitWaiting("pg_advisory_xact_lock_shared(4204)", "advisory"));
        }
        finally {
            admin.execute("select pg_advisory_unlock(4204)");
        }
        assertThat(result.join()).containsExactly(1, 1, 1);
        assertThat(retrier.statistics().retries()).isOne();
        assertThat(admin.count("pipelined_rows")).as("applied once").isEqualTo(2);
    }

    @Test
    void anInsertTheServerAppliedWhoseAnswerWasLostIsNotSentAgain() {
        // one connection through the proxy: a cut ends them all, and a dead idle one would cost a retry
        try (HikariDataSource proxied = pool(node, proxy.jdbcUrl(), 1)) {
            Retrier retrier = retrier(3);
            PostgresTemplate postgres = template(proxied, retrier);
            table("answered_rows");
            CompletableFuture<Integer> result = CompletableFuture
                .supplyAsync(() -> postgres.exec("insert into answered_rows select 1 from pg_sleep(0.3)"));
            admin.awaitWaiting("insert into answered_rows", "PgSleep");
            proxy.blackHole(true);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> admin.count("answered_rows") == 1);
            proxy.cutConnections();
            proxy.blackHole(false);

            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isInstanceOfSatisfying(DataAccessException.class,
                        (ex) -> assertThat(TransientErrors.isConnectionLoss(ex)).isTrue());
            assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
            // the table has no key: sending the insert again would have added a second row
            assertThat(admin.count("answered_rows")).isOne();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "insert into returning_rows select 1 from pg_sleep(0.3) returning id",
            "select add_returning_row()" })
    void aQueryThatWritesIsNotSentAgainWhenItsAnswerWasLost(String sql) {
        // one connection through the proxy: a cut ends them all, and a dead idle one would cost a retry
        try (HikariDataSource proxied = pool(node, proxy.jdbcUrl(), 1)) {
            Retrier retrier = retrier(3);
            PostgresTemplate postgres = template(proxied, retrier);
            table("returning_rows");
            // a SELECT whose function writes: its text alone looks like a read
            admin.execute("create or replace function add_returning_row() returns int language plpgsql as $$ begin "
                    + "insert into returning_rows values (1); perform pg_sleep(0.3); return 1; end $$");
            CompletableFuture<Long> result = CompletableFuture.supplyAsync(() -> postgres.queryCount(sql));
            admin.awaitWaiting(sql, "PgSleep");
            proxy.blackHole(true);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> admin.count("returning_rows") == 1);
            proxy.cutConnections();
            proxy.blackHole(false);

            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isInstanceOfSatisfying(DataAccessException.class,
                        (ex) -> assertThat(TransientErrors.isConnectionLoss(ex)).isTrue());
            assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
            assertThat(admin.count("returning_rows")).isOne();
        }
    }

    @Test
    void aReadingQueryWhoseAnswerWasLostIsSentAgain() {
        // one connection through the proxy: a cut ends them all, and a dead idle one would cost a retry
        try (HikariDataSource proxied = pool(node, proxy.jdbcUrl(), 1)) {
            Retrier retrier = retrier(3);
            PostgresTemplate postgres = template(proxied, retrier);
            CompletableFuture<Long> result = CompletableFuture.supplyAsync(() -> postgres
                .queryCount("with slow as (select pg_sleep(0.3)) select count(*) from slow, pg_class"));
            admin.awaitWaiting("with slow as", "PgSleep");
            proxy.cutConnections();
            assertThat(result.join()).isPositive();
            assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
        }
    }

    @Test
    void aWriteThatCouldNotGetAConnectionIsRetried() {
        Retrier retrier = retrier(4);
        PostgresTemplate postgres = template(new RefusingDataSource(dataSource, 2), retrier);
        table("refused_rows");
        assertThat(postgres.exec("insert into refused_rows values (1)")).isOne();
        assertThat(admin.count("refused_rows")).isOne();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(3, 2, 1, 0, 0, 0));
    }

    @Test
    void aWriteTheServerRejectedAsADeadlockVictimIsRetriedAndAppliedOnce() throws Exception {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists victims");
        admin.execute("create table victims (id int primary key, v int not null)");
        admin.execute("insert into victims values (1, 0), (2, 0)");
        Connection other = admin.connection();
        other.setAutoCommit(false);
        CompletableFuture<Void> otherSide = null;
        try {
            try (Statement statement = other.createStatement()) {
                // only the statement under test checks for deadlocks soon, so it is the victim
                statement.execute("set local deadlock_timeout = '10s'");
                statement.execute("update victims set v = v + 10 where id = 2");
            }
            // locks row 1, then waits for row 2
            CompletableFuture<Integer> result = CompletableFuture
                .supplyAsync(() -> postgres.exec("update victims set v = v + 1 where id in (1, 2)"));
            long victim = waitingOnLock("update victims");
            otherSide = CompletableFuture.runAsync(() -> {
                try (Statement statement = other.createStatement()) {
                    statement.execute("update victims set v = v + 10 where id = 1");
                }
                catch (SQLException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            otherSide.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            other.commit();
            assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(2);
            assertThat(victim).isPositive();
        }
        finally {
            if (otherSide != null) {
                otherSide.cancel(true);
            }
            other.rollback();
            other.setAutoCommit(true);
        }
        assertThat(admin.number("select count(*) from victims where v = 11")).as("rows updated by both, once each")
            .isEqualTo(2);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
    }

    /** Waits for a session of the tests that waits on a row lock while running a statement, on a new session. */
    private static long waitingOnLock(String queryPart) throws SQLException {
        try (Admin watcher = new Admin(node)) {
            return await().atMost(WAIT).pollInterval(Duration.ofMillis(5))
                .until(() -> watcher.number("select pid from pg_stat_activity where application_name = "
                        + "'nexs-retry-tests' and wait_event_type = 'Lock' and strpos(query, ?) > 0", queryPart),
                        (pid) -> pid > 0);
        }
    }

    @Test
    void aBatchIsRetriedOnlyBeforeItWasSent() {
        table("batch_rows");
        List<Object[]> sets = List.of(new Object[] { 1 }, new Object[] { 2 }, new Object[] { 3 });
        Retrier retrier = retrier(3);
        PostgresTemplate refused = template(new RefusingDataSource(dataSource, 1), retrier);
        assertThat(refused.batch("insert into batch_rows values (?)", sets)).hasSize(3);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
        assertThat(admin.count("batch_rows")).isEqualTo(3);

        Retrier sentRetrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, sentRetrier);
        admin.execute("select pg_advisory_lock(4203)");
        CompletableFuture<int[]> result;
        try {
            result = CompletableFuture.supplyAsync(() -> postgres.batch(
                    "insert into batch_rows select ? from (select pg_advisory_xact_lock_shared(4203)) l", sets));
            admin.terminate(admin.awaitWaiting("insert into batch_rows", "advisory"));
        }
        finally {
            admin.execute("select pg_advisory_unlock(4203)");
        }
        // PgJDBC (up to 42.7.11 at least) reports a batch whose connection died as an AssertionError when the JVM
        // runs with assertions on, as tests do (pgjdbc/pgjdbc#1458, #3180); without them it is a
        // BatchUpdateException, which the template translates and must not retry
        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .satisfiesAnyOf(
                    (ex) -> assertThat(ex).isInstanceOfSatisfying(DataAccessException.class,
                            (translated) -> assertThat(TransientErrors.isConnectionLoss(translated)).isTrue()),
                    (ex) -> assertThat(ex).isInstanceOf(AssertionError.class)
                        .hasMessageContaining("getAutoCommit() should not throw"));
        assertThat(sentRetrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
        assertThat(admin.count("batch_rows")).isEqualTo(3);
    }

    @Test
    void aStreamIsRetriedWhileItOpensButNotOnceRowsWereHandedOut() throws SQLException {
        try (HikariDataSource single = pool(node, 1)) {
            Retrier retrier = retrier(3);
            PostgresTemplate postgres = template(single, retrier);
            long terminated = terminateIdleConnection(single);
            Stream<long[]> rows = postgres.stream("select g, pg_backend_pid() from generate_series(1, 1000) g",
                    (rs, rowNum) -> new long[] { rs.getLong(1), rs.getLong(2) });
            Throwable failure;
            try {
                Iterator<long[]> iterator = rows.iterator();
                long backend = iterator.next()[1];
                assertThat(backend).as("opened on a fresh session").isNotEqualTo(terminated);
                assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
                admin.terminate(backend);
                // the rows of the first fetch are still read; the next fetch fails
                failure = catchThrowable(() -> iterator.forEachRemaining((row) -> {
                }));
            }
            finally {
                // closing the broken stream may fail too
                catchThrowable(rows::close);
            }
            assertThat(failure).isInstanceOf(DataAccessException.class);
            assertThat(TransientErrors.isConnectionLoss(failure)).isTrue();
            assertThat(retrier.statistics()).as("no retry once rows were handed out")
                .isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
        }
    }

    @Test
    void aSyntaxErrorOutsideATransactionIsNotRetried() {
        Retrier retrier = retrier(5);
        PostgresTemplate postgres = template(dataSource, retrier);
        assertThatExceptionOfType(BadSqlGrammarException.class).isThrownBy(() -> postgres.exec("selec 1"));
        assertThatExceptionOfType(BadSqlGrammarException.class)
            .isThrownBy(() -> postgres.queryCount("select count(*) from no_such_table"));
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 0, 0, 0, 0, 0));
    }

    @Test
    void aUniqueViolationOutsideATransactionIsNotRetried() {
        Retrier retrier = retrier(5);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists unique_statement_rows");
        admin.execute("create table unique_statement_rows (id int primary key)");
        admin.execute("insert into unique_statement_rows values (1)");
        assertThatExceptionOfType(DuplicateKeyException.class)
            .isThrownBy(() -> postgres.exec("insert into unique_statement_rows values (1)"))
            .satisfies((ex) -> assertThat(RetryTestSupport.sqlState(ex)).isEqualTo("23505"));
        assertThatExceptionOfType(DuplicateKeyException.class).isThrownBy(() -> postgres
            .batch("insert into unique_statement_rows values (?)", List.of(new Object[] { 2 }, new Object[] { 1 })));
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 0, 0, 0, 0, 0));
        assertThat(admin.ids("unique_statement_rows")).containsExactly(1);
    }

}
