package io.nexs.postgres.tx;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TransactionOptions;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.support.TransactionTemplate;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.retrier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Whole transactions of {@code inTransaction} retried against a real server: serialization failures under
 * contention, a deadlock, a session terminated mid-transaction; and what is not retried: permanent errors, and
 * work inside a transaction the caller manages. Every test checks that the work was applied exactly once.
 */
@ExtendWith(PostgresExtension.class)
class TransactionRetryTests {

    private static final Logger logger = LoggerFactory.getLogger(TransactionRetryTests.class);

    private static HikariDataSource dataSource;

    private static Admin admin;

    @BeforeAll
    static void start(PostgresNode node) throws SQLException {
        dataSource = pool(node, 10);
        admin = new Admin(node);
    }

    @AfterAll
    static void stop() throws SQLException {
        dataSource.close();
        admin.close();
    }

    @Test
    void concurrentSerializableTransfersAreEachAppliedExactlyOnceDespiteSerializationFailures() throws Exception {
        Retrier retrier = new Retrier(RetrySettings.defaults()
            .withMaxAttempts(30)
            .withBackOff(Duration.ofMillis(2), 2.0, Duration.ofMillis(40), Duration.ofMillis(10)),
                TransientErrors.defaults());
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists transfers, accounts");
        admin.execute("create table accounts (id int primary key, balance bigint not null)");
        admin.execute("create table transfers (id int primary key, source int not null, target int not null, "
                + "amount bigint not null)");
        int accounts = 4;
        admin.execute("insert into accounts select g, 1000 from generate_series(1, " + accounts + ") g");
        int workers = 8;
        int transfersPerWorker = 25;
        TransactionOptions serializable = TransactionOptions.defaults().withIsolation(Isolation.SERIALIZABLE);
        AtomicInteger callbacks = new AtomicInteger();
        AtomicInteger mostRuns = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(workers);
        ExecutorService executor = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int worker = 0; worker < workers; worker++) {
                int seed = worker;
                results.add(executor.submit(() -> {
                    Random random = new Random(seed);
                    start.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    for (int i = 0; i < transfersPerWorker; i++) {
                        int transfer = seed * 1000 + i;
                        int source = 1 + random.nextInt(accounts);
                        int target = 1 + (source + random.nextInt(accounts - 1)) % accounts;
                        long amount = 1 + random.nextInt(50);
                        AtomicInteger runs = new AtomicInteger();
                        postgres.inTransaction(serializable, (status) -> {
                            callbacks.incrementAndGet();
                            mostRuns.accumulateAndGet(runs.incrementAndGet(), Math::max);
                            // read, compute, write back: a lost update would change the total
                            long sourceBalance = postgres.queryCount("select balance from accounts where id = ?",
                                    source);
                            long targetBalance = postgres.queryCount("select balance from accounts where id = ?",
                                    target);
                            // rows are written in id order, so the workers wait on each other but never deadlock
                            int first = Math.min(source, target);
                            int second = Math.max(source, target);
                            postgres.exec("update accounts set balance = ? where id = ?",
                                    (first == source) ? sourceBalance - amount : targetBalance + amount, first);
                            postgres.exec("update accounts set balance = ? where id = ?",
                                    (second == source) ? sourceBalance - amount : targetBalance + amount, second);
                            postgres.exec("insert into transfers values (?, ?, ?, ?)", transfer, source, target,
                                    amount);
                            return null;
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get(30, TimeUnit.SECONDS);
            }
        }
        finally {
            executor.shutdownNow();
        }
        int total = workers * transfersPerWorker;
        assertThat(admin.count("transfers")).isEqualTo(total);
        assertThat(admin.number("select sum(balance) from accounts")).isEqualTo(accounts * 1000L);
        assertThat(admin.number("select count(*) from accounts a where balance <> 1000 "
                + "- coalesce((select sum(amount) from transfers where source = a.id), 0) "
                + "+ coalesce((select sum(amount) from transfers where target = a.id), 0)"))
            .as("accounts whose balance does not match the transfers recorded")
            .isZero();
        RetryStatistics statistics = retrier.statistics();
        logger.info("{} serializable transfers by {} workers over {} accounts, at most {} runs of one: {}", total,
                workers, accounts, mostRuns.get(), statistics);
        assertThat(statistics.retries()).as("retries after serialization failures").isPositive();
        assertThat(statistics.attempts()).isEqualTo(callbacks.get());
        assertThat(statistics.attempts() - statistics.retries()).as("first attempts").isEqualTo(total);
        assertThat(statistics.successesAfterRetry()).isPositive();
        assertThat(statistics.exhausted()).isZero();
    }

    @Test
    void aDeadlockBetweenTwoTransactionsIsResolvedByRetryingTheVictim() throws Exception {
        Retrier retrier = retrier(5);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists pair, pair_log");
        admin.execute("create table pair (id int primary key, v int not null)");
        admin.execute("insert into pair values (1, 0), (2, 0)");
        admin.execute("create table pair_log (name text primary key)");
        CyclicBarrier bothLocked = new CyclicBarrier(2);
        List<Throwable> seenByCallbacks = new CopyOnWriteArrayList<>();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> a = executor.submit(lockInOrder(postgres, "a", 1, 2, bothLocked, seenByCallbacks));
            Future<Integer> b = executor.submit(lockInOrder(postgres, "b", 2, 1, bothLocked, seenByCallbacks));
            List<Integer> runs = List.of(a.get(WAIT.toMillis(), TimeUnit.MILLISECONDS),
                    b.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
            assertThat(runs).as("callback runs of a and b").containsExactlyInAnyOrder(1, 2);
        }
        finally {
            executor.shutdownNow();
        }
        assertThat(seenByCallbacks).singleElement()
            .satisfies((failure) -> assertThat(RetryTestSupport.sqlState(failure)).isEqualTo("40P01"));
        assertThat(admin.number("select count(*) from pair_log where name in ('a', 'b')")).isEqualTo(2);
        assertThat(admin.number("select count(*) from pair_log")).isEqualTo(2);
        assertThat(admin.number("select count(*) from pair where v = 2")).as("rows updated by both, once each")
            .isEqualTo(2);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(3, 1, 1, 0, 0, 0));
    }

    /** Locks one row, waits (on the first run) until the other transaction holds the other, then locks that. */
    private static Callable<Integer> lockInOrder(PostgresTemplate postgres, String name, int first, int second,
            CyclicBarrier bothLocked, List<Throwable> seen) {
        return () -> {
            AtomicInteger runs = new AtomicInteger();
            postgres.inTransaction((status) -> {
                int run = runs.incrementAndGet();
                // both sides check quickly; whichever finds the cycle is the victim
                postgres.exec("set local deadlock_timeout = '100ms'");
                postgres.exec("update pair set v = v + 1 where id = ?", first);
                if (run == 1) {
                    awaitBarrier(bothLocked);
                }
                try {
                    postgres.exec("update pair set v = v + 1 where id = ?", second);
                }
                catch (DataAccessException ex) {
                    seen.add(ex);
                    throw ex;
                }
                postgres.exec("insert into pair_log values (?)", name);
                return null;
            });
            return runs.get();
        };
    }

    private static void awaitBarrier(CyclicBarrier barrier) {
        try {
            barrier.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (Exception ex) {
            throw new IllegalStateException("the other transaction did not lock its row", ex);
        }
    }

    @Test
    void aSessionTerminatedMidTransactionIsRetriedAndItsWorkAppliedOnce() {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists orders");
        admin.execute("create table orders (id int primary key, attempt int not null)");
        AtomicInteger runs = new AtomicInteger();
        List<Long> backends = new ArrayList<>();
        List<Throwable> seenByCallback = new ArrayList<>();
        int result = postgres.inTransaction((status) -> {
            int run = runs.incrementAndGet();
            long pid = postgres.queryCount("select pg_backend_pid()");
            backends.add(pid);
            postgres.exec("insert into orders values (1, ?)", run);
            if (run == 1) {
                admin.terminate(pid);
            }
            try {
                postgres.exec("insert into orders values (2, ?)", run);
            }
            catch (DataAccessException ex) {
                seenByCallback.add(ex);
                throw ex;
            }
            return run;
        });
        assertThat(result).isEqualTo(2);
        assertThat(backends).hasSize(2).doesNotHaveDuplicates();
        assertThat(seenByCallback).singleElement()
            .satisfies((failure) -> assertThat(TransientErrors.isConnectionLoss(failure)).isTrue());
        assertThat(admin.ids("orders")).containsExactly(1, 2);
        assertThat(admin.number("select count(*) from orders where attempt = 2")).isEqualTo(2);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 1, 0, 0, 0));
    }

    @Test
    void aSyntaxErrorInATransactionIsNotRetried() {
        Retrier retrier = retrier(5);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists syntax_rows");
        admin.execute("create table syntax_rows (id int primary key)");
        AtomicInteger runs = new AtomicInteger();
        assertThatExceptionOfType(BadSqlGrammarException.class).isThrownBy(() -> postgres.inTransaction((status) -> {
            runs.incrementAndGet();
            postgres.exec("insert into syntax_rows values (1)");
            return postgres.exec("selec 1");
        })).satisfies((ex) -> assertThat(RetryTestSupport.sqlState(ex)).isEqualTo("42601"));
        assertThat(runs).hasValue(1);
        assertThat(admin.count("syntax_rows")).isZero();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
    }

    @Test
    void aUniqueViolationInATransactionIsNotRetried() {
        Retrier retrier = retrier(5);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists unique_rows");
        admin.execute("create table unique_rows (id int primary key)");
        admin.execute("insert into unique_rows values (1)");
        AtomicInteger runs = new AtomicInteger();
        assertThatExceptionOfType(DuplicateKeyException.class).isThrownBy(() -> postgres.inTransaction((status) -> {
            runs.incrementAndGet();
            postgres.exec("insert into unique_rows values (2)");
            return postgres.exec("insert into unique_rows values (1)");
        }));
        assertThat(runs).hasValue(1);
        assertThat(admin.ids("unique_rows")).containsExactly(1);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
    }

    @Test
    void nothingIsRetriedInsideATransactionSpringManages() {
        Retrier retrier = retrier(5);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists managed_rows");
        admin.execute("create table managed_rows (id int primary key)");
        RetryStatistics before = retrier.statistics();
        TransactionTemplate transactions = new TransactionTemplate(new JdbcTransactionManager(dataSource));
        AtomicInteger outerRuns = new AtomicInteger();
        AtomicInteger innerRuns = new AtomicInteger();
        List<Throwable> seenInside = new ArrayList<>();
        Throwable failure = catchThrowable(() -> transactions.executeWithoutResult((status) -> {
            outerRuns.incrementAndGet();
            postgres.exec("insert into managed_rows values (1)");
            // joins Spring's transaction, so it is not retried either
            postgres.inTransaction((inner) -> {
                innerRuns.incrementAndGet();
                assertThat(inner.isNewTransaction()).isFalse();
                long pid = postgres.queryCount("select pg_backend_pid()");
                postgres.exec("insert into managed_rows values (2)");
                admin.terminate(pid);
                try {
                    return postgres.queryCount("select count(*) from managed_rows");
                }
                catch (DataAccessException ex) {
                    seenInside.add(ex);
                    throw ex;
                }
            });
        }));
        assertThat(seenInside).singleElement()
            .satisfies((ex) -> assertThat(TransientErrors.isConnectionLoss(ex)).isTrue());
        // Spring's own rollback on the dead connection fails too: the caller gets that, with the statement's failure
        assertThat(failure).isInstanceOfSatisfying(TransactionSystemException.class,
                (ex) -> assertThat(ex.getApplicationException()).isSameAs(seenInside.get(0)));
        assertThat(outerRuns).hasValue(1);
        assertThat(innerRuns).hasValue(1);
        assertThat(admin.count("managed_rows")).isZero();
        assertThat(retrier.statistics()).as("nothing went through the retrier").isEqualTo(before);
    }

    @Test
    void aTransactionJoiningAnOuterOneIsRetriedOnlyWithTheWholeOuterTransaction() {
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        admin.execute("drop table if exists joined_rows");
        admin.execute("create table joined_rows (id int primary key, run int not null)");
        RetryStatistics before = retrier.statistics();
        AtomicInteger outerRuns = new AtomicInteger();
        AtomicInteger innerRuns = new AtomicInteger();
        Set<Long> backends = new HashSet<>();
        long count = postgres.inTransaction((outer) -> {
            int run = outerRuns.incrementAndGet();
            postgres.exec("insert into joined_rows values (1, ?)", run);
            return postgres.inTransaction((inner) -> {
                innerRuns.incrementAndGet();
                assertThat(inner.isNewTransaction()).isFalse();
                long pid = postgres.queryCount("select pg_backend_pid()");
                backends.add(pid);
                postgres.exec("insert into joined_rows values (2, ?)", run);
                if (run == 1) {
                    admin.terminate(pid);
                }
                return postgres.queryCount("select count(*) from joined_rows");
            });
        });
        assertThat(count).isEqualTo(2);
        assertThat(outerRuns).hasValue(2);
        assertThat(innerRuns).as("the inner transaction ran once per outer run").hasValue(2);
        assertThat(backends).hasSize(2);
        assertThat(admin.ids("joined_rows")).containsExactly(1, 2);
        assertThat(admin.number("select min(run) from joined_rows")).isEqualTo(2);
        RetryStatistics after = retrier.statistics();
        assertThat(after.attempts() - before.attempts()).as("attempts of the outer transaction only").isEqualTo(2);
        assertThat(after.retries() - before.retries()).isOne();
    }

}
