package io.nexs.postgres.tx;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.topology.TopologySettings;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionTemplate;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.quickSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Commits on a primary with a synchronous standby. A commit record reaches the primary's commit log before the
 * session waits for the standby, so a session ended in that wait leaves the transaction committed on the primary
 * only: "committed" may be reported only once the standby has it, as {@code synchronous_commit} promises. The
 * standby is stopped or frozen ({@code SIGSTOP}) to make commits wait; the client's connection is cut at a
 * {@link TcpProxy} in front of the primary, or the wait is cancelled, which the server answers with success and a
 * warning.
 */
class SynchronousCommitOutcomeTests {

    /** Short, so that an outcome the check cannot prove is reported quickly. */
    private static final Duration CHECK_TIMEOUT = Duration.ofMillis(1500);

    private static PostgresCluster cluster;

    private static PostgresNode standby;

    private static TcpProxy proxy;

    private static Admin admin;

    private HikariDataSource dataSource;

    @BeforeAll
    static void start() throws SQLException {
        cluster = PostgresCluster.builder().standbys(1).synchronous(true).start();
        standby = cluster.standbys().get(0);
        proxy = TcpProxy.forNode(cluster.primary());
        admin = new Admin(cluster.primary());
        admin.execute("create table durable_rows (id int primary key, attempt int not null)");
        admin.execute("create function sleep_at_commit() returns trigger language plpgsql as $$ begin "
                + "perform pg_sleep(coalesce(nullif(current_setting('nexs_test.commit_sleep', true), '')::float8, 0)); "
                + "return null; end $$");
        admin.execute("create constraint trigger sleep_at_commit after insert on durable_rows "
                + "deferrable initially deferred for each row execute function sleep_at_commit()");
    }

    @AfterEach
    void healTheStandbyAndTheNetwork() {
        proxy.blackHole(false);
        if (this.dataSource != null) {
            this.dataSource.close();
        }
        if (standby.isHung()) {
            standby.resume();
        }
        if (!standby.isRunning()) {
            standby.restart();
        }
        // the next test starts with the standby streaming and caught up
        cluster.awaitReplay(standby, WAIT);
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        admin.close();
        cluster.close();
    }

    /** A template through the proxy with a pool of {@code size} connections and the given outcome check. */
    private PostgresTemplate postgres(int size, Retrier retrier) {
        this.dataSource = pool(cluster.primary(), proxy.jdbcUrl(), size);
        return template(this.dataSource, retrier);
    }

    private static Retrier retrier(boolean verifyCommit, Duration checkTimeout) {
        RetrySettings quick = quickSettings(3);
        return new Retrier(new RetrySettings(true, quick.maxAttempts(), quick.initialInterval(), quick.multiplier(),
                quick.maxInterval(), quick.jitter(), verifyCommit, checkTimeout), TransientErrors.defaults());
    }

    /** Inserts the row {@code id} after running {@code setup} on the first run; returns the run, from 1. */
    private static TransactionCallback<Integer> insert(PostgresTemplate postgres, int id, AtomicInteger runs,
            String... setup) {
        return (status) -> {
            int run = runs.incrementAndGet();
            if (run == 1) {
                for (String statement : setup) {
                    postgres.exec(statement);
                }
            }
            postgres.exec("insert into durable_rows values (?, ?)", id, run);
            return run;
        };
    }

    private static long rows(int id) {
        return admin.number("select count(*) from durable_rows where id = ?", id);
    }

    private static CommitOutcomeUnknownException unknownOutcome(CompletableFuture<Integer> result) {
        CommitOutcomeUnknownException[] failure = new CommitOutcomeUnknownException[1];
        assertThatExceptionOfType(ExecutionException.class)
            .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
            .havingCause()
            .isInstanceOfSatisfying(CommitOutcomeUnknownException.class, (ex) -> failure[0] = ex);
        return failure[0];
    }

    @Test
    void aLostCommitWaitingForAStoppedSynchronousStandbyIsUnknownThoughThePrimaryHasIt() {
        Retrier retrier = retrier(true, CHECK_TIMEOUT);
        PostgresTemplate postgres = postgres(1, retrier);
        standby.stop();
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insert(postgres, 1, runs)));
        long backend = admin.awaitWaiting("COMMIT", "SyncRep");
        assertThat(proxy.cutConnections()).isPositive();

        CommitOutcomeUnknownException failure = unknownOutcome(result);
        assertThat(failure.getTransactionId()).isPositive();
        assertThat(failure).hasMessageContaining("committed on the primary")
            .hasMessageContaining("synchronous_commit = on")
            .hasMessageContaining("0 of 0 connected synchronous standbys");
        assertThat(runs).as("never run again").hasValue(1);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 1));
        // ending the orphan session committed it on the primary alone: exactly what must not be called committed
        assertThat(admin.isAlive(backend)).isFalse();
        assertThat(rows(1)).isOne();
    }

    @Test
    void aLostCommitIsCommittedWhenTheSynchronousStandbyHasIt() throws Exception {
        Retrier retrier = retrier(true, CHECK_TIMEOUT);
        PostgresTemplate postgres = postgres(1, retrier);
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(
                () -> postgres.inTransaction(insert(postgres, 2, runs, "set local nexs_test.commit_sleep = '0.5'")));
        admin.awaitWaiting("COMMIT", "PgSleep");
        // the server's answer to COMMIT will never reach the client
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(2) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isOne();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 1, 0));
    }

    @Test
    void aLostCommitWaitingForAFrozenStandbyIsCommittedOnceTheStandbyCatchesUpWithinTheTimeout() throws Exception {
        Retrier retrier = retrier(true, WAIT);
        PostgresTemplate postgres = postgres(1, retrier);
        standby.hang();
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insert(postgres, 3, runs)));
        long backend = admin.awaitWaiting("COMMIT", "SyncRep");
        proxy.cutConnections();
        // the check ended the orphan session, so the primary has committed, and now waits for the standby
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> !admin.isAlive(backend));
        assertThat(result).isNotDone();
        standby.resume();

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isOne();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 1, 0));
    }

    @Test
    void aLostCommitAskingOnlyForLocalDurabilityIsCommittedWhileTheStandbyIsFrozen() throws Exception {
        Retrier retrier = retrier(true, CHECK_TIMEOUT);
        PostgresTemplate postgres = postgres(1, retrier);
        standby.hang();
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> postgres.inTransaction(insert(postgres,
                4, runs, "set local synchronous_commit = local", "set local nexs_test.commit_sleep = '0.5'")));
        admin.awaitWaiting("COMMIT", "PgSleep");
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(4) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the run that committed").isOne();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 1, 0));
    }

    @Test
    void aCancelledWaitForTheStandbyIsNotReportedAsACommit() {
        Retrier retrier = retrier(true, CHECK_TIMEOUT);
        // two connections: the check asks on another one while the transaction still holds its own
        PostgresTemplate postgres = postgres(2, retrier);
        standby.hang();
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insert(postgres, 5, runs)));
        long backend = admin.awaitWaiting("COMMIT", "SyncRep");
        assertThat(admin.number("select pg_cancel_backend(?)::int", (int) backend)).isOne();

        CommitOutcomeUnknownException failure = unknownOutcome(result);
        assertThat(failure.getTransactionId()).isPositive();
        assertThat(failure).hasMessageContaining("returned with a warning")
            .hasMessageContaining("1 connected synchronous standbys");
        assertThat(runs).hasValue(1);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 1));
        assertThat(rows(5)).as("committed on the primary").isOne();
    }

    @Test
    void onTheRoutedDataSourceACancelledWaitIsNotReportedAsACommitUnderSpringsOwnTransactionManager() {
        // read-your-writes puts the connection that takes the commit's position under the settling one
        TopologySettings topology = Topologies.fast().withConsistency(ReadConsistency.READ_YOUR_WRITES, WAIT);
        try (DefaultPostgresProvider provider = RetryTestSupport.provider(cluster.primary(), proxy.host(),
                proxy.port(), topology, retrier(true, CHECK_TIMEOUT).settings(), Map.of())) {
            JdbcTemplate jdbc = new JdbcTemplate(provider.dataSource());
            TransactionTemplate transactions = new TransactionTemplate(
                    new JdbcTransactionManager(provider.dataSource()));
            standby.hang();
            CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> transactions
                .execute((status) -> jdbc.update("insert into durable_rows values (9, 1)")));
            long backend = admin.awaitWaiting("commit", "SyncRep");
            assertThat(admin.number("select pg_cancel_backend(?)::int", (int) backend)).isOne();

            Throwable failure = catchThrowableOfType(ExecutionException.class,
                    () -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).getCause();
            assertThat(failure).isInstanceOf(DataAccessResourceFailureException.class);
            assertThat(failure.getCause().getCause()).isInstanceOf(CommitOutcomeUnknownException.class)
                .hasMessageContaining("returned with a warning");
            assertThat(provider.retryStatistics().commitsUnknown()).isOne();
            assertThat(rows(9)).as("committed on the primary").isOne();
        }
    }

    @Test
    void withoutTheOutcomeCheckACancelledWaitForTheStandbyIsStillNotReportedAsACommit() {
        Retrier retrier = retrier(false, CHECK_TIMEOUT);
        PostgresTemplate postgres = postgres(1, retrier);
        standby.hang();
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture
            .supplyAsync(() -> postgres.inTransaction(insert(postgres, 6, runs)));
        long backend = admin.awaitWaiting("COMMIT", "SyncRep");
        assertThat(admin.number("select pg_cancel_backend(?)::int", (int) backend)).isOne();

        CommitOutcomeUnknownException failure = unknownOutcome(result);
        assertThat(failure.getTransactionId()).isEqualTo(-1);
        assertThat(failure).hasMessageContaining("stopped waiting for synchronous replication");
        assertThat(runs).hasValue(1);
        assertThat(rows(6)).isOne();
    }

    @Test
    void aRoleThatCannotSeeTheStandbysPositionsIsToldSoAndGetsAnUnknownOutcome() {
        admin.execute("create role nexs_plain_writer login");
        admin.execute("grant insert, select on durable_rows to nexs_plain_writer");
        Retrier retrier = retrier(true, CHECK_TIMEOUT);
        PostgresTemplate postgres = postgres(2, retrier);
        // the pool starts on its first connection, so it still takes another user
        this.dataSource.setUsername("nexs_plain_writer");
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(
                () -> postgres.inTransaction(insert(postgres, 7, runs, "set local nexs_test.commit_sleep = '0.2'")));
        long backend = admin.awaitWaiting("COMMIT", "PgSleep");
        // the server's answer to COMMIT will never reach the client
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(7) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        CommitOutcomeUnknownException failure = unknownOutcome(result);
        assertThat(failure).hasMessageContaining("pg_read_all_stats");
        assertThat(runs).hasValue(1);
        await().atMost(WAIT).until(() -> !admin.isAlive(backend));
    }

    @Test
    void aStandbyListAsksForItsNumberOfStandbysAndAnUnclearOneForAll() {
        assertThat(CommitOutcomeCheck.standbysNeeded("\"standby1\"")).isOne();
        assertThat(CommitOutcomeCheck.standbysNeeded("a, b, c")).isOne();
        assertThat(CommitOutcomeCheck.standbysNeeded("FIRST 2 (a, b, c)")).isEqualTo(2);
        assertThat(CommitOutcomeCheck.standbysNeeded("any 3 (\"a\", b, c)")).isEqualTo(3);
        assertThat(CommitOutcomeCheck.standbysNeeded("2(a, b)")).isEqualTo(2);
        assertThat(CommitOutcomeCheck.standbysNeeded("\"odd (name)\"")).as("all connected").isZero();
    }

}
