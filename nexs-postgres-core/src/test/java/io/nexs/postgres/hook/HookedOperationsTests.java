package io.nexs.postgres.hook;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TestTemplates;
import io.nexs.postgres.TransactionOptions;
import io.nexs.postgres.hook.RecordingHook.Call;
import io.nexs.postgres.query.NamedParameters;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.core.annotation.Order;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Hooks around the calls of a {@link PostgresTemplate} on a real server: what each context holds, isolation of
 * throwing, hanging and vetoing hooks, registration at run time, and the transaction points of the template's
 * own transactions and of an application's Spring transaction manager.
 */
@ExtendWith(PostgresExtension.class)
class HookedOperationsTests {

    private static PostgresNode node;

    private static HikariDataSource dataSource;

    /** Without hooks: sets up and checks the table behind the hooked templates' backs. */
    private static PostgresTemplate plain;

    private final List<HookManager> managers = new ArrayList<>();

    @BeforeAll
    static void openPool(PostgresNode started) {
        node = started;
        dataSource = TestDataSources.pooled(node, 4);
        plain = new PostgresTemplate(dataSource);
    }

    @AfterAll
    static void closePool() {
        dataSource.close();
    }

    @BeforeEach
    void createTable() {
        plain.exec("drop table if exists hooked");
        plain.exec("drop table if exists hook_audit");
        plain.exec("create table hooked (id int primary key, name text not null)");
        plain.exec("insert into hooked values (1, 'ada'), (2, 'bob'), (3, 'cy')");
    }

    @AfterEach
    void closeManagers() {
        this.managers.forEach(HookManager::close);
        assertThat(Thread.interrupted()).as("test thread left interrupted").isFalse();
    }

    private HookManager manager(Duration timeout, boolean includeParameters, PostgresHook... hooks) {
        HookManager manager = new HookManager(timeout, includeParameters);
        this.managers.add(manager);
        for (PostgresHook hook : hooks) {
            manager.register(hook);
        }
        return manager;
    }

    private HookManager manager(PostgresHook... hooks) {
        return manager(Duration.ofSeconds(5), false, hooks);
    }

    private static long rows() {
        return plain.queryCount("select count(*) from hooked");
    }

    @Test
    void aThrowingHookChangesNoResultAndTheHooksAfterItStillRun() {
        List<Call> journal = new CopyOnWriteArrayList<>();
        RecordingHook first = new RecordingHook.WithOrder("first", journal, 1);
        RecordingHook last = new RecordingHook.WithOrder("last", journal, 3);
        HookManager manager = manager(last, new ThrowingHook(), first);
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager);

        assertThat(postgres.exec("insert into hooked values (?, ?)", 4, "dee")).isOne();
        List<String> names = postgres.queryAll("select name from hooked order by id", (rs, n) -> rs.getString(1));

        assertThat(names).containsExactly("ada", "bob", "cy", "dee");
        assertThat(manager.failureCount()).isEqualTo(4);
        assertThat(manager.timeoutCount()).isZero();
        assertThat(journal).extracting(Call::label)
            .containsExactly("first.beforeExec", "last.beforeExec", "first.afterExec", "last.afterExec",
                    "first.beforeQuery", "last.beforeQuery", "first.afterQuery", "last.afterQuery");
        assertThat(last.last("afterQuery").rows()).isEqualTo(4);
        assertThat(last.last("afterQuery").failed()).isFalse();
    }

    @Test
    void aHangingHookIsCutOffAtTheTimeoutAndTheCallReturnsItsResultOnAnUninterruptedThread() {
        CountDownLatch never = new CountDownLatch(1);
        AtomicBoolean sleeperInterrupted = new AtomicBoolean();
        AtomicBoolean waiterInterrupted = new AtomicBoolean();
        PostgresHook hanging = new PostgresHook() {

            private final AtomicBoolean slept = new AtomicBoolean();

            private final AtomicBoolean waited = new AtomicBoolean();

            @Override
            public void beforeQuery(HookContext context) {
                if (this.slept.compareAndSet(false, true)) {
                    try {
                        new CountDownLatch(1).await();
                    }
                    catch (InterruptedException ex) {
                        sleeperInterrupted.set(true);
                        throw new IllegalStateException("interrupted", ex);
                    }
                }
            }

            @Override
            public void afterExec(HookContext context) {
                if (this.waited.compareAndSet(false, true)) {
                    try {
                        never.await();
                    }
                    catch (InterruptedException ex) {
                        waiterInterrupted.set(true);
                        // restores the flag, as well-behaved code does: the manager must not let it through
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        HookManager manager = manager(Duration.ofMillis(200), false, hanging);
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager);
        try {
            long start = System.nanoTime();
            List<String> names = postgres.queryAll("select name from hooked order by id",
                    (rs, n) -> rs.getString(1));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(names).containsExactly("ada", "bob", "cy");
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(150)).isLessThan(Duration.ofSeconds(5));
            assertThat(sleeperInterrupted).isTrue();
            assertThat(manager.timeoutCount()).isOne();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();

            start = System.nanoTime();
            assertThat(postgres.exec("insert into hooked values (?, ?)", 4, "dee")).isOne();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(waiterInterrupted).isTrue();
            assertThat(manager.timeoutCount()).isEqualTo(2);
            assertThat(manager.failureCount()).isEqualTo(2);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();

            // the thread and its pooled connections work as before
            assertThat(postgres.queryCount("select count(*) from hooked")).isEqualTo(4);
            int deleted = postgres.inTransaction((status) -> postgres.exec("delete from hooked where id = ?", 4));
            assertThat(deleted).isOne();
            assertThat(rows()).isEqualTo(3);
            assertThat(manager.timeoutCount()).isEqualTo(2);
        }
        finally {
            never.countDown();
        }
    }

    @Test
    void aVetoReachesTheCallerUnchangedWritesNothingAndIsNeverRetried() {
        OperationVetoedException veto = new OperationVetoedException("writes are paused");
        AtomicInteger vetoed = new AtomicInteger();
        PostgresHook gate = new PostgresHook() {
            @Override
            public void beforeExec(HookContext context) {
                check(context);
            }

            @Override
            public void beforeBatch(HookContext context) {
                check(context);
            }

            @Override
            public void beforeQuery(HookContext context) {
                check(context);
            }

            private void check(HookContext context) {
                // a retry would get through: attempt 2 is let pass
                if (context.sql().contains("forbidden") && context.attempt() == 1) {
                    vetoed.incrementAndGet();
                    throw veto;
                }
            }
        };
        RecordingHook recorder = new RecordingHook("recorder");
        HookManager manager = manager(gate, recorder);
        Retrier retrier = new Retrier(RetrySettings.defaults(), TransientErrors.defaults());
        assertThat(retrier.isEnabled()).isTrue();
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager, retrier);

        assertThatExceptionOfType(OperationVetoedException.class)
            .isThrownBy(() -> postgres.exec("insert into hooked values (?, 'forbidden')", 10))
            .isSameAs(veto);
        assertThatExceptionOfType(OperationVetoedException.class)
            .isThrownBy(() -> postgres.batch("insert into hooked values (?, 'forbidden')",
                    List.of(new Object[] { 11 }, new Object[] { 12 })))
            .isSameAs(veto);
        assertThatExceptionOfType(OperationVetoedException.class)
            .isThrownBy(() -> postgres.queryAll("select 'forbidden' from hooked", (rs, n) -> rs.getString(1)))
            .isSameAs(veto);
        assertThatExceptionOfType(OperationVetoedException.class)
            .isThrownBy(() -> postgres.inTransaction((status) -> {
                postgres.exec("insert into hooked values (?, ?)", 13, "allowed");
                return postgres.exec("insert into hooked values (?, 'forbidden')", 14);
            }))
            .isSameAs(veto);

        assertThat(vetoed).hasValue(4);
        assertThat(rows()).as("nothing written, the transaction's first insert rolled back").isEqualTo(3);
        assertThat(retrier.statistics().retries()).isZero();
        assertThat(recorder.contexts("beforeExec")).extracting(HookContext::attempt).containsOnly(1);
        assertThat(manager.failureCount()).as("a veto is not a hook failure").isZero();
    }

    @Test
    void aHookRegisteredAtRunTimeSeesLaterCallsOnlyAndNoneOnceUnregistered() {
        HookManager manager = manager();
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager);
        RecordingHook hook = new RecordingHook("hook");

        postgres.exec("update hooked set name = 'before' where id = 1");
        manager.register(hook);
        postgres.exec("update hooked set name = 'during' where id = 2");
        postgres.queryCount("select count(*) from hooked where name = 'during'");
        assertThat(manager.unregister(hook)).isTrue();
        postgres.exec("update hooked set name = 'after' where id = 3");
        postgres.queryCount("select count(*) from hooked");

        assertThat(hook.points()).containsExactly("beforeExec", "afterExec", "beforeQuery", "afterQuery");
        assertThat(hook.calls()).extracting((call) -> call.context().sql()).allMatch((sql) -> sql.contains("during"));
        assertThat(manager.unregister(hook)).isFalse();
    }

    @Test
    void queryContextsNameTheCallAndCountTheRows() {
        RecordingHook hook = new RecordingHook("hook");
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(hook));

        String all = "select id, name from hooked where id < ? order by id";
        assertThat(postgres.queryAll(all, (rs, n) -> rs.getString(2), 3)).hasSize(2);
        HookContext queryAll = hook.last("afterQuery");
        assertThat(hook.last("beforeQuery")).isSameAs(queryAll);
        assertThat(queryAll.operation()).isEqualTo(Operation.QUERY);
        assertThat(queryAll.name()).isEqualTo("queryAll");
        assertThat(queryAll.sql()).isEqualTo(all);
        assertThat(queryAll.parameterCount()).isOne();
        assertThat(queryAll.hasParameters()).isFalse();
        assertThat(queryAll.parameters()).isEmpty();
        assertThat(queryAll.rows()).isEqualTo(2);
        assertThat(queryAll.duration()).isPositive();
        assertThat(queryAll.attempt()).isOne();
        assertThat(queryAll.error()).isNull();
        assertThat(queryAll.sqlState()).isNull();
        assertThat(queryAll.node()).as("a plain pool does not know its node").isNull();

        assertThat(postgres.queryOne("select name from hooked where id = ?", (rs, n) -> rs.getString(1), 2))
            .contains("bob");
        HookContext found = hook.last("afterQuery");
        assertThat(postgres.queryOne("select name from hooked where id = ?", (rs, n) -> rs.getString(1), 99))
            .isEmpty();
        HookContext missing = hook.last("afterQuery");
        assertThat(found.name()).isEqualTo("queryOne");
        assertThat(found.rows()).isOne();
        assertThat(missing.rows()).isZero();

        assertThat(postgres.queryCount("select count(*) from hooked where name <> ? and id > ?", "x", 0))
            .isEqualTo(3);
        HookContext count = hook.last("afterQuery");
        assertThat(count.name()).isEqualTo("queryCount");
        assertThat(count.parameterCount()).isEqualTo(2);
        assertThat(count.rows()).as("one row, whatever the count").isOne();

        assertThat(hook.points()).containsExactly("beforeQuery", "afterQuery", "beforeQuery", "afterQuery",
                "beforeQuery", "afterQuery", "beforeQuery", "afterQuery");
    }

    @Test
    void execBatchAndPipelineContextsCountTheAffectedRows() {
        RecordingHook hook = new RecordingHook("hook");
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(hook));

        assertThat(postgres.exec("update hooked set name = name || ? where id <= ?", "!", 2)).isEqualTo(2);
        HookContext exec = hook.last("afterExec");
        assertThat(hook.last("beforeExec")).isSameAs(exec);
        assertThat(exec.operation()).isEqualTo(Operation.EXEC);
        assertThat(exec.name()).isEqualTo("exec");
        assertThat(exec.sql()).isEqualTo("update hooked set name = name || ? where id <= ?");
        assertThat(exec.parameterCount()).isEqualTo(2);
        assertThat(exec.rows()).isEqualTo(2);
        assertThat(exec.duration()).isPositive();

        String update = "update hooked set name = ? where id = ?";
        assertThat(postgres.batch(update,
                List.of(new Object[] { "a", 1 }, new Object[] { "b", 2 }, new Object[] { "z", 99 })))
            .containsExactly(1, 1, 0);
        HookContext batch = hook.last("afterBatch");
        assertThat(hook.last("beforeBatch")).isSameAs(batch);
        assertThat(batch.operation()).isEqualTo(Operation.BATCH);
        assertThat(batch.name()).isEqualTo("batch");
        assertThat(batch.sql()).isEqualTo(update);
        assertThat(batch.parameterCount()).as("per parameter set").isEqualTo(2);
        assertThat(batch.rows()).as("sum of the counts").isEqualTo(2);
        assertThat(batch.duration()).isPositive();

        int[] counts = postgres.pipeline()
            .add("insert into hooked values (?, ?)", 4, "dee")
            .add("update hooked set name = ? where id < ?", "x", 3)
            .execute();
        assertThat(counts).containsExactly(1, 2);
        HookContext pipeline = hook.last("afterExec");
        assertThat(pipeline.operation()).isEqualTo(Operation.EXEC);
        assertThat(pipeline.name()).isEqualTo("pipeline");
        assertThat(pipeline.sql()).contains("insert into hooked values (?, ?)",
                "update hooked set name = ? where id < ?");
        assertThat(pipeline.parameterCount()).isEqualTo(4);
        assertThat(pipeline.rows()).isEqualTo(3);

        assertThat(hook.points()).containsExactly("beforeExec", "afterExec", "beforeBatch", "afterBatch",
                "beforeExec", "afterExec");
    }

    @Test
    void aStreamsContextEndsWhenTheStreamIsClosedWithTheRowsRead() {
        RecordingHook hook = new RecordingHook("hook");
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(hook));
        String sql = "select name from hooked where id >= ? order by id";
        try (Stream<String> names = postgres.stream(sql, (rs, n) -> rs.getString(1), 1)) {
            assertThat(hook.points()).containsExactly("beforeQuery");
            assertThat(names.limit(2).toList()).containsExactly("ada", "bob");
            assertThat(hook.points()).as("still open").containsExactly("beforeQuery");
        }
        HookContext stream = hook.last("afterQuery");
        assertThat(hook.last("beforeQuery")).isSameAs(stream);
        assertThat(stream.operation()).isEqualTo(Operation.QUERY);
        assertThat(stream.name()).isEqualTo("stream");
        assertThat(stream.sql()).isEqualTo(sql);
        assertThat(stream.parameterCount()).isOne();
        assertThat(stream.rows()).isEqualTo(2);
        assertThat(stream.failed()).isFalse();
        assertThat(stream.duration()).isPositive();
    }

    @Test
    void aFailedStatementReachesAfterThenOnErrorWithTheCallersExceptionAndItsSqlState() {
        RecordingHook hook = new RecordingHook("hook");
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(hook));

        Throwable duplicate = catchThrowable(() -> postgres.exec("insert into hooked values (?, ?)", 1, "again"));
        assertThat(duplicate).isInstanceOf(DuplicateKeyException.class);
        assertThat(hook.points()).containsExactly("beforeExec", "afterExec", "onError");
        HookContext exec = hook.last("onError");
        assertThat(hook.last("afterExec")).isSameAs(exec);
        assertThat(exec.error()).isSameAs(duplicate);
        assertThat(exec.failed()).isTrue();
        assertThat(exec.sqlState()).isEqualTo("23505");
        assertThat(exec.rows()).isEqualTo(HookContext.UNKNOWN_ROWS);
        assertThat(exec.duration()).isPositive();

        hook.clear();
        Throwable badSql = catchThrowable(() -> postgres.queryAll("select * from no_such_table", (rs, n) -> 1));
        assertThat(badSql).isInstanceOf(BadSqlGrammarException.class);
        assertThat(hook.points()).containsExactly("beforeQuery", "afterQuery", "onError");
        assertThat(hook.last("onError").error()).isSameAs(badSql);
        assertThat(hook.last("onError").sqlState()).isEqualTo("42P01");

        hook.clear();
        Throwable batch = catchThrowable(() -> postgres.batch("insert into hooked values (?, ?)",
                List.of(new Object[] { 5, "eve" }, new Object[] { 2, "bob again" })));
        assertThat(batch).isInstanceOf(DuplicateKeyException.class);
        assertThat(hook.points()).containsExactly("beforeBatch", "afterBatch", "onError");
        assertThat(hook.last("onError").sqlState()).isEqualTo("23505");
    }

    @Test
    void anOperationThatGetsNoConnectionIsReportedToAfterAndOnError() {
        RecordingHook hook = new RecordingHook("hook");
        HikariDataSource closed = TestDataSources.pooled(node, 4);
        closed.close();
        PostgresTemplate postgres = TestTemplates.template(closed, manager(hook));
        Throwable failure = catchThrowable(() -> postgres.exec("delete from hooked"));
        assertThat(failure).isInstanceOf(CannotGetJdbcConnectionException.class);
        assertThat(hook.points()).containsExactly("afterExec", "onError");
        assertThat(hook.last("onError").error()).isSameAs(failure);
    }

    @Test
    void attributesPutBeforeTheCallAreSeenAfterItByEveryHook() {
        List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
        PostgresHook timer = new PostgresHook() {
            @Override
            public void beforeExec(HookContext context) {
                context.attributes().put("timer.start", System.nanoTime());
            }

            @Override
            public void afterExec(HookContext context) {
                seen.add(Map.copyOf(context.attributes()));
            }
        };
        PostgresHook tagger = new PostgresHook() {
            @Override
            public void beforeExec(HookContext context) {
                context.attributes().put("tagger.tag", "orders");
            }
        };
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(timer, tagger));
        postgres.exec("delete from hooked where id = ?", 3);
        postgres.exec("delete from hooked where id = ?", 2);
        assertThat(seen).hasSize(2).allSatisfy((attributes) -> assertThat(attributes)
            .containsOnlyKeys("timer.start", "tagger.tag").containsEntry("tagger.tag", "orders"));
        assertThat(seen.get(0).get("timer.start")).as("a new context per call")
            .isNotEqualTo(seen.get(1).get("timer.start"));
    }

    @Test
    void parameterValuesAreInTheContextOnlyWhenIncluded() {
        RecordingHook hook = new RecordingHook("hook");
        PostgresTemplate postgres = TestTemplates.template(dataSource,
                manager(Duration.ofSeconds(5), true, hook));

        postgres.queryAll("select name from hooked where name = ? and id < ?", (rs, n) -> rs.getString(1), "ada", 2);
        assertThat(hook.last("afterQuery").hasParameters()).isTrue();
        assertThat(hook.last("afterQuery").parameters()).containsExactly("ada", 2);

        postgres.exec("update hooked set name = :name where id = :id", NamedParameters.of("name", "ann", "id", 1));
        HookContext named = hook.last("afterExec");
        assertThat(named.sql()).isEqualTo("update hooked set name = ? where id = ?");
        assertThat(named.parameterCount()).isEqualTo(2);
        assertThat(named.parameters()).containsExactly("ann", 1);

        postgres.batch("update hooked set name = ? where id = ?",
                List.of(new Object[] { "first", 1 }, new Object[] { "second", 2 }));
        assertThat(hook.last("afterBatch").parameters()).as("those of the first set").containsExactly("first", 1);
    }

    @Test
    void theTemplatesTransactionsReachBeginAndCommitOrRollbackWithOneContext() {
        List<Call> journal = new CopyOnWriteArrayList<>();
        RecordingHook hook = new RecordingHook("hook", journal);
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(hook));

        int deleted = postgres.inTransaction((status) -> {
            int count = postgres.exec("delete from hooked where id = ?", 1);
            // a transaction joined from inside is no transaction of its own
            return count + postgres.inTransaction((inner) -> postgres.exec("delete from hooked where id = ?", 2));
        });
        assertThat(deleted).isEqualTo(2);
        assertThat(hook.points()).containsExactly("onTransactionBegin", "beforeExec", "afterExec", "beforeExec",
                "afterExec", "onTransactionCommit");
        HookContext committed = hook.last("onTransactionCommit");
        assertThat(hook.last("onTransactionBegin")).isSameAs(committed);
        assertThat(committed.operation()).isEqualTo(Operation.TRANSACTION);
        assertThat(committed.name()).isEqualTo("transaction");
        assertThat(committed.sql()).isNull();
        assertThat(committed.failed()).isFalse();
        assertThat(committed.duration()).isPositive();

        hook.clear();
        assertThatIllegalStateException().isThrownBy(() -> postgres.inTransaction((status) -> {
            postgres.exec("delete from hooked");
            throw new IllegalStateException("changed my mind");
        }));
        assertThat(hook.points()).containsExactly("onTransactionBegin", "beforeExec", "afterExec",
                "onTransactionRollback");
        assertThat(hook.last("onTransactionRollback")).isSameAs(hook.last("onTransactionBegin"));
        assertThat(rows()).isOne();
    }

    @Test
    void aSavepointIsNotMistakenForTheEndOfItsTransaction() {
        RecordingHook hook = new RecordingHook("hook");
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(hook));
        postgres.inTransaction((status) -> {
            postgres.exec("delete from hooked where id = ?", 1);
            try {
                postgres.inTransaction(TransactionOptions.defaults().withSavepoint(true), (savepoint) -> {
                    postgres.exec("delete from hooked where id = ?", 2);
                    throw new IllegalStateException("undo to the savepoint");
                });
            }
            catch (IllegalStateException expected) {
                // the outer transaction goes on
            }
            return null;
        });
        assertThat(rows()).isEqualTo(2);
        List<HookContext> begins = hook.contexts("onTransactionBegin");
        List<HookContext> commits = hook.contexts("onTransactionCommit");
        assertThat(commits).hasSize(1);
        // the outer transaction's context is the one that commits
        assertThat(commits.get(0)).isSameAs(begins.get(0));
        assertThat(hook.points()).last().isEqualTo("onTransactionCommit");
    }

    @Test
    void anApplicationsTransactionManagerReachesTheHooksThroughTheListener() {
        RecordingHook hook = new RecordingHook("hook");
        HookManager manager = manager(hook);
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager);
        JdbcTransactionManager transactionManager = new JdbcTransactionManager(dataSource);
        transactionManager.addListener(manager.transactionListener());
        TransactionTemplate transactions = new TransactionTemplate(transactionManager);
        transactions.setName("placeOrder");

        transactions.executeWithoutResult((status) -> {
            postgres.exec("delete from hooked where id = ?", 1);
            // inTransaction joins it: no second begin
            postgres.inTransaction((inner) -> postgres.exec("delete from hooked where id = ?", 2));
        });
        assertThat(hook.points()).containsExactly("onTransactionBegin", "beforeExec", "afterExec", "beforeExec",
                "afterExec", "onTransactionCommit");
        assertThat(hook.last("onTransactionCommit")).isSameAs(hook.last("onTransactionBegin"));
        assertThat(hook.last("onTransactionCommit").name()).isEqualTo("placeOrder");
        assertThat(rows()).isOne();

        hook.clear();
        transactions.executeWithoutResult((status) -> {
            postgres.exec("delete from hooked");
            status.setRollbackOnly();
        });
        assertThat(hook.points()).containsExactly("onTransactionBegin", "beforeExec", "afterExec",
                "onTransactionRollback");

        hook.clear();
        assertThatIllegalStateException().isThrownBy(() -> transactions.executeWithoutResult((status) -> {
            postgres.exec("delete from hooked");
            throw new IllegalStateException("failed");
        }));
        assertThat(hook.points()).containsExactly("onTransactionBegin", "beforeExec", "afterExec",
                "onTransactionRollback");
        assertThat(rows()).isOne();
    }

    @Test
    void aHookThatWritesThroughTheTemplateIsNeitherTimedOutNorFailed() {
        RecordingHook observer = new RecordingHook("observer");
        AuditHook audit = new AuditHook();
        HookManager manager = manager(Duration.ofSeconds(2), false, audit, observer);
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager);
        audit.postgres = postgres;
        plain.exec("create table hook_audit (statement text not null, rows bigint not null)");

        assertThat(postgres.exec("update hooked set name = upper(name) where id < ?", 3)).isEqualTo(2);

        assertThat(plain.queryAll("select statement || ':' || rows from hook_audit", (rs, n) -> rs.getString(1)))
            .containsExactly("exec:2");
        assertThat(manager.timeoutCount()).isZero();
        assertThat(manager.failureCount()).isZero();
        assertThat(observer.points()).as("the audit write is a call of its own")
            .containsExactly("beforeExec", "beforeExec", "afterExec", "afterExec");
    }

    @Test
    void aHookOfOnlyAfterQueryIsNotCalledForStatements() {
        List<String> seen = new CopyOnWriteArrayList<>();
        PostgresTemplate postgres = TestTemplates.template(dataSource, manager(new PostgresHook() {
            @Override
            public void afterQuery(HookContext context) {
                seen.add(context.name());
            }
        }));
        postgres.exec("delete from hooked where id = ?", 1);
        postgres.batch("delete from hooked where id = ?", List.<Object[]>of(new Object[] { 2 }));
        assertThat(seen).isEmpty();
        assertThat(postgres.queryOne("select name from hooked", (rs, n) -> rs.getString(1))).isEqualTo(
                Optional.of("cy"));
        assertThat(seen).containsExactly("queryOne");
    }

    /** Order 2: throws before and after every query and statement. */
    @Order(2)
    static class ThrowingHook implements PostgresHook {

        @Override
        public void beforeQuery(HookContext context) {
            throw new IllegalStateException("hook bug");
        }

        @Override
        public void afterQuery(HookContext context) {
            throw new IllegalStateException("hook bug");
        }

        @Override
        public void beforeExec(HookContext context) {
            throw new IllegalStateException("hook bug");
        }

        @Override
        public void afterExec(HookContext context) {
            throw new IllegalStateException("hook bug");
        }

    }

    /** Writes a line per statement on {@code hooked} to {@code hook_audit}, through the hooked template. */
    static class AuditHook implements PostgresHook {

        volatile PostgresTemplate postgres;

        @Override
        public void afterExec(HookContext context) {
            if (context.sql().contains("hooked") && !context.sql().contains("hook_audit")) {
                this.postgres.exec("insert into hook_audit values (?, ?)", context.name(), context.rows());
            }
        }

    }

}
