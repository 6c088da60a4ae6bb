package io.nexs.postgres.hook;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.nexs.postgres.hook.RecordingHook.Call;
import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import io.nexs.postgres.topology.SplitBrainEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * The manager on its own, driven the way operations drive it: hook order, which points make a context, the
 * isolation of failing, vetoing and slow hooks, custom points and topology events. No database.
 */
class HookManagerTests {

    private final List<HookManager> managers = new ArrayList<>();

    @AfterEach
    void closeManagers() {
        this.managers.forEach(HookManager::close);
        // the watchdog must never leave an interrupt behind for the next test
        assertThat(Thread.interrupted()).as("test thread left interrupted").isFalse();
    }

    private HookManager manager(Duration timeout, boolean includeParameters) {
        HookManager manager = new HookManager(timeout, includeParameters);
        this.managers.add(manager);
        return manager;
    }

    private HookManager manager() {
        return manager(Duration.ofSeconds(5), false);
    }

    @Test
    void hooksRunByOrderAnnotationAndOrderedValueAtBeforeAfterAndErrorPoints() {
        HookManager manager = manager();
        List<Call> journal = new CopyOnWriteArrayList<>();
        RecordingHook unordered = new RecordingHook("unordered", journal);
        RecordingHook ten = new OrderTen("ten", journal);
        RecordingHook one = new OrderOne("one", journal);
        RecordingHook minusFive = new RecordingHook.WithOrder("minusFive", journal, -5);
        manager.register(unordered);
        manager.register(ten);
        manager.register(one);
        manager.register(minusFive);
        assertThat(manager.hooks()).containsExactly(minusFive, one, ten, unordered);

        HookContext context = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        assertThat(context).isNotNull();
        manager.before(context, "n1", NodeRole.PRIMARY, 1);
        manager.after(context, 0, new IllegalStateException("failed"));
        assertThat(journal).extracting(Call::label)
            .containsExactly("minusFive.beforeExec", "one.beforeExec", "ten.beforeExec", "unordered.beforeExec",
                    "minusFive.afterExec", "one.afterExec", "ten.afterExec", "unordered.afterExec",
                    "minusFive.onError", "one.onError", "ten.onError", "unordered.onError");
    }

    @Test
    void hooksOfEqualOrderKeepTheOrderTheyWereRegisteredIn() {
        HookManager manager = manager();
        List<Call> journal = new CopyOnWriteArrayList<>();
        RecordingHook c = new RecordingHook.WithOrder("c", journal, 0);
        RecordingHook a = new RecordingHook.WithOrder("a", journal, 0);
        RecordingHook b = new RecordingHook.WithOrder("b", journal, 0);
        RecordingHook lateUnordered1 = new RecordingHook("u1", journal);
        RecordingHook lateUnordered2 = new RecordingHook("u2", journal);
        RecordingHook d = new RecordingHook.WithOrder("d", journal, 0);
        RecordingHook first = new RecordingHook.WithOrder("first", journal, -1);
        for (RecordingHook hook : List.of(lateUnordered1, c, a, lateUnordered2, b, d, first)) {
            manager.register(hook);
        }
        HookContext context = manager.start(Operation.QUERY, "queryAll", "select 1", 0, null);
        manager.before(context, null, null, 1);
        manager.after(context, 1, null);
        assertThat(journal).extracting(Call::label)
            .containsExactly("first.beforeQuery", "c.beforeQuery", "a.beforeQuery", "b.beforeQuery", "d.beforeQuery",
                    "u1.beforeQuery", "u2.beforeQuery", "first.afterQuery", "c.afterQuery", "a.afterQuery",
                    "b.afterQuery", "d.afterQuery", "u1.afterQuery", "u2.afterQuery");
    }

    @Test
    void registeringAHookTwiceHasNoEffectAndUnregisteringTellsWhetherItWasThere() {
        HookManager manager = manager();
        RecordingHook hook = new RecordingHook("hook");
        manager.register(hook);
        manager.register(hook);
        assertThat(manager.hooks()).containsExactly(hook);
        HookContext context = manager.start(Operation.EXEC, "exec", "select 1", 0, null);
        manager.before(context, null, null, 1);
        assertThat(hook.points()).containsExactly("beforeExec");
        assertThat(manager.unregister(hook)).isTrue();
        assertThat(manager.unregister(hook)).isFalse();
        assertThat(manager.hooks()).isEmpty();
        assertThat(manager.start(Operation.EXEC, "exec", "select 1", 0, null)).isNull();
    }

    @Test
    void withoutHooksNoOperationGetsAContext() {
        HookManager manager = manager();
        for (Operation operation : List.of(Operation.QUERY, Operation.EXEC, Operation.BATCH, Operation.COPY)) {
            assertThat(manager.start(operation, "call", "select 1", 1, new Object[] { 1 })).as("%s", operation)
                .isNull();
        }
        assertThat(manager.observesConnections()).isFalse();
        assertThat(HookManager.none().start(Operation.QUERY, "queryAll", "select 1", 0, null)).isNull();
    }

    @Test
    void aHookOfOnlyAfterQueryMakesContextsForQueriesAlone() {
        HookManager manager = manager();
        AtomicInteger queries = new AtomicInteger();
        manager.register(new PostgresHook() {
            @Override
            public void afterQuery(HookContext context) {
                queries.incrementAndGet();
            }
        });
        assertThat(manager.start(Operation.EXEC, "exec", "delete from t", 0, null)).isNull();
        assertThat(manager.start(Operation.BATCH, "batch", "insert into t values (?)", 1, null)).isNull();
        assertThat(manager.start(Operation.COPY, "copy", "copy t from stdin", 0, null)).isNull();
        assertThat(manager.observesConnections()).isFalse();
        HookContext query = manager.start(Operation.QUERY, "queryAll", "select 1", 0, null);
        assertThat(query).isNotNull();
        manager.before(query, null, null, 1);
        manager.after(query, 1, null);
        assertThat(queries).hasValue(1);
    }

    @Test
    void aHookOfOnlyOnErrorMakesContextsForEveryOperation() {
        HookManager manager = manager();
        manager.register(new PostgresHook() {
            @Override
            public void onError(HookContext context) {
            }
        });
        for (Operation operation : List.of(Operation.QUERY, Operation.EXEC, Operation.BATCH, Operation.COPY)) {
            assertThat(manager.start(operation, "call", "select 1", 0, null)).as("%s", operation).isNotNull();
        }
    }

    @Test
    void contextsCarryParameterValuesOnlyWhenAskedAndThenACopy() {
        Object[] values = { "ada", null, 42L };
        HookContext without = withHook(manager(Duration.ZERO, false)).start(Operation.QUERY, "queryAll",
                "select ?, ?, ?", 3, values);
        assertThat(without.parameterCount()).isEqualTo(3);
        assertThat(without.hasParameters()).isFalse();
        assertThat(without.parameters()).isEmpty();

        HookContext with = withHook(manager(Duration.ZERO, true)).start(Operation.QUERY, "queryAll", "select ?, ?, ?",
                3, values);
        values[0] = "changed";
        assertThat(with.hasParameters()).isTrue();
        assertThat(with.parameters()).containsExactly("ada", null, 42L);
        assertThatExceptionOfType(UnsupportedOperationException.class).isThrownBy(() -> with.parameters().add(1));
    }

    @Test
    void beforeRecordsTheNodeRoleAndAttemptAndAfterTheOutcome() {
        HookManager manager = withHook(manager());
        HookContext context = manager.start(Operation.BATCH, "batch", "insert into t values (?)", 1, null);
        assertThat(context.attempt()).isOne();
        assertThat(context.rows()).isEqualTo(HookContext.UNKNOWN_ROWS);
        manager.before(context, "db2", NodeRole.REPLICA, 3);
        assertThat(context.node()).isEqualTo("db2");
        assertThat(context.role()).isEqualTo(NodeRole.REPLICA);
        assertThat(context.attempt()).isEqualTo(3);
        IllegalStateException failure = new IllegalStateException("boom");
        manager.after(context, 7, failure);
        assertThat(context.rows()).isEqualTo(7);
        assertThat(context.error()).isSameAs(failure);
        assertThat(context.failed()).isTrue();
        assertThat(context.sqlState()).isNull();
        long duration = context.durationNanos();
        assertThat(duration).isPositive();
        assertThat(context.durationNanos()).as("frozen once over").isEqualTo(duration);
    }

    @Test
    void aThrowingHookIsCountedAndTheHooksAfterItStillRun() {
        HookManager manager = manager();
        RecordingHook before = new RecordingHook.WithOrder("before", new CopyOnWriteArrayList<>(), 1);
        RecordingHook after = new RecordingHook.WithOrder("after", new CopyOnWriteArrayList<>(), 3);
        manager.register(before);
        manager.register(new ThrowingHook());
        manager.register(after);
        HookContext context = manager.start(Operation.EXEC, "exec", "select 1", 0, null);
        assertThatNoException().isThrownBy(() -> manager.before(context, null, null, 1));
        assertThatNoException().isThrownBy(() -> manager.after(context, 1, null));
        assertThat(manager.failureCount()).isEqualTo(2);
        assertThat(manager.timeoutCount()).isZero();
        assertThat(before.points()).containsExactly("beforeExec", "afterExec");
        assertThat(after.points()).containsExactly("beforeExec", "afterExec");
    }

    @Test
    void aVetoFromABeforeMethodReachesTheCallerAndEndsTheOperationForTheHooks() {
        HookManager manager = manager();
        OperationVetoedException veto = new OperationVetoedException("read-only mode");
        RecordingHook earlier = new RecordingHook.WithOrder("earlier", new CopyOnWriteArrayList<>(), 1);
        RecordingHook later = new RecordingHook.WithOrder("later", new CopyOnWriteArrayList<>(), 10);
        manager.register(earlier);
        manager.register(later);
        manager.register(new VetoingHook(veto));
        HookContext context = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        assertThatExceptionOfType(OperationVetoedException.class)
            .isThrownBy(() -> manager.before(context, null, null, 1))
            .isSameAs(veto);
        // the hook that saw the start sees the end; the one after the veto never saw the start
        assertThat(earlier.points()).containsExactly("beforeExec", "afterExec", "onError");
        assertThat(later.points()).containsExactly("onError");
        assertThat(context.error()).isSameAs(veto);
        assertThat(context.rows()).isEqualTo(HookContext.UNKNOWN_ROWS);
        assertThat(manager.failureCount()).isZero();
    }

    @Test
    void aVetoFromAnAfterMethodIsAFailureOfTheHookNotOfTheOperation() {
        HookManager manager = manager();
        manager.register(new PostgresHook() {
            @Override
            public void afterExec(HookContext context) {
                throw new OperationVetoedException("too late to veto");
            }
        });
        HookContext context = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        manager.before(context, null, null, 1);
        assertThatNoException().isThrownBy(() -> manager.after(context, 1, null));
        assertThat(manager.failureCount()).isOne();
    }

    @Test
    void aHookRunningPastTheTimeoutIsInterruptedAndCountedAndTheCallerIsNotLeftInterrupted() {
        HookManager manager = manager(Duration.ofMillis(200), false);
        AtomicBoolean interrupted = new AtomicBoolean();
        manager.register(new PostgresHook() {
            @Override
            public void beforeQuery(HookContext context) {
                try {
                    new CountDownLatch(1).await();
                }
                catch (InterruptedException ex) {
                    interrupted.set(true);
                    // a polite hook restores the flag; the manager must clear it
                    Thread.currentThread().interrupt();
                }
            }
        });
        HookContext context = manager.start(Operation.QUERY, "queryAll", "select 1", 0, null);
        long start = System.nanoTime();
        manager.before(context, null, null, 1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(interrupted).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(manager.timeoutCount()).isOne();
        assertThat(manager.failureCount()).isOne();
    }

    @Test
    void aHookThatIgnoresInterruptsButOverrunsIsStillCountedAsTimedOut() {
        HookManager manager = manager(Duration.ofMillis(100), false);
        manager.register(new PostgresHook() {
            @Override
            public void afterExec(HookContext context) {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            }
        });
        HookContext context = manager.start(Operation.EXEC, "exec", "select 1", 0, null);
        manager.before(context, null, null, 1);
        manager.after(context, 1, null);
        assertThat(manager.timeoutCount()).isOne();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aQuickHookInsideAnotherHookIsNeitherATimeoutNorAFailure() {
        HookManager manager = manager(Duration.ofSeconds(2), false);
        AtomicInteger custom = new AtomicInteger();
        manager.register(new PostgresHook() {
            @Override
            public void beforeExec(HookContext context) {
                // a hook that does work which itself runs hooks, such as an audit write through the provider
                manager.fire("audit", HookContext.custom("audit"));
            }

            @Override
            public void onCustomPoint(String point, HookContext context) {
                custom.incrementAndGet();
            }
        });
        HookContext context = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        manager.before(context, null, null, 1);
        assertThat(custom).hasValue(1);
        assertThat(manager.timeoutCount()).isZero();
        assertThat(manager.failureCount()).isZero();
    }

    @Test
    void aHookIsStillTimedAfterItRanAnotherHookInside() throws InterruptedException {
        HookManager manager = manager(Duration.ofMillis(200), false);
        CountDownLatch never = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        manager.register(new PostgresHook() {
            @Override
            public void beforeExec(HookContext context) {
                manager.fire("audit", HookContext.custom("audit"));
                try {
                    // bounded, so a broken watchdog fails the test instead of hanging it
                    never.await(3, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    interrupted.set(true);
                }
            }

            @Override
            public void onCustomPoint(String point, HookContext context) {
            }
        });
        HookContext context = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        long start = System.nanoTime();
        manager.before(context, null, null, 1);
        assertThat(interrupted).as("interrupted by the watchdog").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(manager.timeoutCount()).isOne();
    }

    @Test
    void aHookAddedWhileAnOperationRunsSeesOnlyLaterOperations() {
        HookManager manager = manager();
        RecordingHook early = new RecordingHook("early");
        manager.register(early);
        HookContext running = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        manager.before(running, null, null, 1);
        RecordingHook late = new RecordingHook("late");
        manager.register(late);
        manager.after(running, 1, null);
        assertThat(early.points()).containsExactly("beforeExec", "afterExec");
        assertThat(late.points()).as("no after without its before").isEmpty();

        HookContext next = manager.start(Operation.EXEC, "exec", "delete from t", 0, null);
        manager.before(next, null, null, 1);
        manager.unregister(early);
        manager.after(next, 1, null);
        assertThat(late.points()).containsExactly("beforeExec", "afterExec");
        assertThat(early.points()).as("an operation under way keeps its hooks").containsExactly("beforeExec",
                "afterExec", "beforeExec", "afterExec");
    }

    @Test
    void customPointsReachOnCustomPointWithTheApplicationsAttributes() {
        HookManager manager = manager();
        RecordingHook hook = new RecordingHook("hook");
        manager.register(new ThrowingHook());
        manager.register(hook);
        HookContext context = HookContext.custom("cache-miss");
        context.attributes().put("cache", "orders");
        context.attributes().put("key", 42);
        manager.fire("cache-miss", context);
        assertThat(hook.points()).containsExactly("onCustomPoint:cache-miss");
        HookContext seen = hook.last("onCustomPoint:cache-miss");
        assertThat(seen).isSameAs(context);
        assertThat(seen.operation()).isEqualTo(Operation.CUSTOM);
        assertThat(seen.name()).isEqualTo("cache-miss");
        assertThat(seen.sql()).isNull();
        assertThat(seen.attributes()).containsEntry("cache", "orders").containsEntry("key", 42);
        assertThat(manager.failureCount()).as("the throwing hook's custom point").isOne();
    }

    @Test
    void topologyEventsReachTheNodeStateAndFailoverPoints() {
        HookManager manager = manager();
        List<Call> journal = new CopyOnWriteArrayList<>();
        RecordingHook second = new RecordingHook.WithOrder("second", journal, 2);
        RecordingHook first = new RecordingHook.WithOrder("first", journal, 1);
        manager.register(second);
        manager.register(new ThrowingHook());
        manager.register(first);
        NodeStateChangedEvent stateChange = new NodeStateChangedEvent("db1", NodeState.HEALTHY, NodeState.UNHEALTHY,
                NodeRole.PRIMARY, NodeRole.PRIMARY, "health check failed", Instant.now());
        FailoverEvent failover = new FailoverEvent("db1", "db2", 2, Duration.ofMillis(800), Instant.now());
        manager.onTopologyEvent(stateChange);
        manager.onTopologyEvent(failover);
        manager.onTopologyEvent(new SplitBrainEvent(List.of("db1", "db2"), "db2", Instant.now()));
        assertThat(journal).extracting(Call::label)
            .containsExactly("first.onNodeStateChange", "second.onNodeStateChange", "first.onFailover",
                    "second.onFailover");
        assertThat(journal).extracting(Call::event).containsExactly(stateChange, stateChange, failover, failover);
        assertThat(manager.failureCount()).as("the throwing hook's node state change").isOne();
    }

    @Test
    void theSharedEmptyManagerTakesNoHooksAndTimeoutsCannotBeNegative() {
        assertThatExceptionOfType(UnsupportedOperationException.class)
            .isThrownBy(() -> HookManager.none().register(new RecordingHook("hook")));
        assertThat(HookManager.none().hooks()).isEmpty();
        assertThatIllegalArgumentException().isThrownBy(() -> new HookManager(Duration.ofMillis(-1), false));
        assertThatIllegalArgumentException().isThrownBy(() -> new SlowQueryLogger(Duration.ofMillis(-1)));
    }

    private HookManager withHook(HookManager manager) {
        manager.register(new RecordingHook("hook"));
        return manager;
    }

    @Order(1)
    static class OrderOne extends RecordingHook {

        OrderOne(String name, List<Call> journal) {
            super(name, journal);
        }

    }

    @Order(10)
    static class OrderTen extends RecordingHook {

        OrderTen(String name, List<Call> journal) {
            super(name, journal);
        }

    }

    /** Order 2: throws at every point it implements. */
    @Order(2)
    static class ThrowingHook implements PostgresHook {

        @Override
        public void beforeExec(HookContext context) {
            throw new IllegalStateException("hook bug in beforeExec");
        }

        @Override
        public void afterExec(HookContext context) {
            throw new IllegalStateException("hook bug in afterExec");
        }

        @Override
        public void onNodeStateChange(NodeStateChangedEvent event) {
            throw new IllegalStateException("hook bug in onNodeStateChange");
        }

        @Override
        public void onCustomPoint(String point, HookContext context) {
            throw new IllegalStateException("hook bug in onCustomPoint");
        }

    }

    /** Order 5: vetoes every exec. */
    @Order(5)
    static class VetoingHook implements PostgresHook {

        private final OperationVetoedException veto;

        VetoingHook(OperationVetoedException veto) {
            this.veto = veto;
        }

        @Override
        public void beforeExec(HookContext context) {
            throw this.veto;
        }

    }

}
