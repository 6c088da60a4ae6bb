package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.tx.CommitOutcomeCheck.Outcome;
import io.nexs.postgres.tx.CommitOutcomeCheck.Status;
import io.nexs.postgres.tx.CommitOutcomeCheck.WrittenTransaction;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.quickSettings;
import static io.nexs.postgres.tx.RetryTestSupport.retrier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The connection lost while {@code COMMIT} is in flight. A deferred constraint trigger makes the server sleep
 * inside {@code COMMIT} (on the first attempt only, as the callback asks), so the test can act meanwhile: cut the
 * client's connection at the {@link TcpProxy} in front of the node, after or before the server finishes, or end
 * the session. The outcome check must tell a committed transaction (not run again) from an aborted one (run
 * again), and every row must be written exactly once.
 */
@ExtendWith(PostgresExtension.class)
class CommitOutcomeTests {

    private static TcpProxy proxy;

    /**
     * One connection, through the proxy, new for each test: a cut ends every proxied connection, and an idle one
     * that died with it would cost a retry of its own.
     */
    private HikariDataSource dataSource;

    private static Admin admin;

    private static PostgresNode node;

    @BeforeAll
    static void start(PostgresNode postgresNode) throws SQLException {
        node = postgresNode;
        proxy = TcpProxy.forNode(node);
        admin = new Admin(node);
        admin.execute("create table commit_rows (id int primary key, attempt int not null)");
        admin.execute("create function sleep_at_commit() returns trigger language plpgsql as $$ begin "
                + "perform pg_sleep(coalesce(nullif(current_setting('nexs_test.commit_sleep', true), '')::float8, 0)); "
                + "return null; end $$");
        admin.execute("create constraint trigger sleep_at_commit after insert on commit_rows "
                + "deferrable initially deferred for each row execute function sleep_at_commit()");
    }

    @BeforeEach
    void openPool() {
        this.dataSource = pool(node, proxy.jdbcUrl(), 1);
    }

    @AfterEach
    void healTheNetwork() {
        proxy.blackHole(false);
        proxy.refuseNewConnections(false);
        this.dataSource.close();
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        admin.close();
    }

    /**
     * Inserts the row {@code id}; on the first run only, the trigger sleeps {@code seconds} inside COMMIT.
     * Returns the run, from 1.
     */
    private static TransactionCallback<Integer> insertWithSlowCommit(PostgresTemplate postgres, int id,
            double seconds, AtomicInteger runs) {
        return (status) -> {
            int run = runs.incrementAndGet();
            if (run == 1) {
                postgres.exec("set local nexs_test.commit_sleep = '" + seconds + "'");
            }
            postgres.exec("insert into commit_rows values (?, ?)", id, run);
            return run;
        };
    }

    private static long rows(int id) {
        return admin.number("select count(*) from commit_rows where id = ?", id);
    }

    private static long attemptOf(int id) {
        return admin.number("select attempt from commit_rows where id = ?", id);
    }

    @Test
    void aCommitWhoseAnswerIsLostIsFoundCommittedAndNotRunAgain() throws Exception {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insertWithSlowCommit(postgres, 1, 0.5, runs)));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        // the server's answer to COMMIT will never reach the client
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(1) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isOne();
        assertThat(runs).hasValue(1);
        assertThat(rows(1)).isOne();
        assertThat(attemptOf(1)).isOne();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 1, 0));
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
    }

    @Test
    void aCommitCutWhileTheServerStillRunsItIsSettledByEndingTheOrphanSessionAndRetried() throws Exception {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        AtomicInteger runs = new AtomicInteger();
        double sleep = 5;
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insertWithSlowCommit(postgres, 2, sleep, runs)));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        long cut = System.nanoTime();
        // the server does not notice: the session sleeps on in COMMIT, its transaction in progress
        assertThat(proxy.cutConnections()).isPositive();

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isEqualTo(2);
        Duration settled = Duration.ofNanos(System.nanoTime() - cut);
        assertThat(settled).as("the orphan was ended, not waited for").isLessThan(Duration.ofMillis(4000));
        assertThat(admin.isAlive(backend)).isFalse();
        assertThat(runs).hasValue(2);
        assertThat(rows(2)).isOne();
        assertThat(attemptOf(2)).isEqualTo(2);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
    }

    @Test
    void aCommitWhoseSessionIsTerminatedIsFoundAbortedAndRetried() throws Exception {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insertWithSlowCommit(postgres, 3, 5, runs)));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        admin.terminate(backend);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isEqualTo(2);
        assertThat(runs).hasValue(2);
        assertThat(rows(3)).isOne();
        assertThat(attemptOf(3)).isEqualTo(2);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
    }

    @Test
    void withoutTheOutcomeCheckACommitCutInFlightIsReportedUnknownAndNotRetried() throws Exception {
        Retrier retrier = new Retrier(quickSettings(3).withVerifyCommit(false), TransientErrors.defaults());
        PostgresTemplate postgres = template(this.dataSource, retrier);
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insertWithSlowCommit(postgres, 4, 0.5, runs)));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.cutConnections();

        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .isInstanceOfSatisfying(CommitOutcomeUnknownException.class, (ex) -> {
                assertThat(ex.getTransactionId()).isEqualTo(-1);
                assertThat(ex).hasMessageContaining("verify-commit");
                assertThat(TransientErrors.isConnectionLoss(ex.getCause())).isTrue();
            });
        assertThat(runs).hasValue(1);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 1));
        // the server finished the commit on its own: the row is there, once
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
        assertThat(rows(4)).isOne();
    }

    @Test
    void whenThePrimaryCannotBeAskedInTimeTheOutcomeIsUnknownAndCarriesTheTransactionId() throws Exception {
        RetrySettings quick = quickSettings(3);
        RetrySettings settings = new RetrySettings(true, quick.maxAttempts(), quick.initialInterval(),
                quick.multiplier(), quick.maxInterval(), quick.jitter(), true, Duration.ofMillis(800));
        Retrier retrier = new Retrier(settings, TransientErrors.defaults());
        try (HikariDataSource impatient = pool(node, proxy.jdbcUrl(), 1)) {
            impatient.setConnectionTimeout(250);
            PostgresTemplate postgres = template(impatient, retrier);
            AtomicInteger runs = new AtomicInteger();
            CompletableFuture<Integer> result = CompletableFuture
                .supplyAsync(() -> postgres.inTransaction(insertWithSlowCommit(postgres, 5, 1, runs)));
            long backend = admin.awaitWaiting("COMMIT", "PgSleep");
            proxy.refuseNewConnections(true);
            proxy.cutConnections();

            List<CommitOutcomeUnknownException> unknown = new CopyOnWriteArrayList<>();
            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isInstanceOfSatisfying(CommitOutcomeUnknownException.class, unknown::add);
            CommitOutcomeUnknownException failure = unknown.get(0);
            assertThat(failure.getTransactionId()).isPositive();
            assertThat(failure).hasMessageContaining(Long.toUnsignedString(failure.getTransactionId()));
            assertThat(runs).hasValue(1);
            assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 1));
            // nobody ended the session, so the server committed; the id lets the caller find that out
            await().atMost(WAIT).until(() -> !admin.isAlive(backend));
            assertThat(rows(5)).isOne();
            assertThat(admin.number("select (pg_xact_status(?::xid8) = 'committed')::int",
                    Long.toUnsignedString(failure.getTransactionId()))).isOne();
        }
    }

    @Test
    void aWriteMadeWhileCommittingIsCheckedTooAndTheAfterCommitCallbacksRun() throws Exception {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(this.dataSource, retrier);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger afterCommits = new AtomicInteger();
        List<Integer> completions = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> postgres.inTransaction((status) -> {
            int run = runs.incrementAndGet();
            if (run == 1) {
                postgres.exec("set local nexs_test.commit_sleep = '0.5'");
            }
            // the transaction's only write happens in a beforeCommit callback, after the callback returned
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    postgres.exec("insert into commit_rows values (?, ?)", 6, run);
                }

                @Override
                public void afterCommit() {
                    afterCommits.incrementAndGet();
                }

                @Override
                public void afterCompletion(int completion) {
                    completions.add(completion);
                }
            });
            return run;
        }));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(6) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isOne();
        assertThat(runs).hasValue(1);
        assertThat(rows(6)).isOne();
        assertThat(afterCommits).as("a commit found committed is a commit for the callbacks").hasValue(1);
        assertThat(completions).containsExactly(TransactionSynchronization.STATUS_COMMITTED);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 1, 0));
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
    }

    @Test
    void aTransactionIsRecordedWithItsIdAndServerAndCommittedOnAnotherServerProvesNothing() throws SQLException {
        WrittenTransaction written;
        try (Connection connection = this.dataSource.getConnection()) {
            connection.setAutoCommit(false);
            assertThat(CommitOutcomeCheck.record(connection)).as("nothing written yet").isNull();
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("insert into commit_rows values (7, 1)");
            }
            written = CommitOutcomeCheck.record(connection);
            connection.commit();
        }
        assertThat(written).isNotNull();
        // the server names itself: the port is the server's, not the proxy's in front of it
        assertThat(written.server()).contains(":" + node.port() + " ").contains("timeline 1");
        CommitOutcomeCheck check = new CommitOutcomeCheck(this.dataSource, WAIT);
        assertThat(check.check(written).status()).isEqualTo(Status.COMMITTED);

        Outcome elsewhere = check.check(new WrittenTransaction(written.id(), "the old primary"));
        assertThat(elsewhere.status()).isEqualTo(Status.UNKNOWN);
        assertThat(elsewhere.reason()).contains("the old primary", written.server(), "committed");
    }

}
