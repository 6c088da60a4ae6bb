package io.nexs.postgres.hook;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import io.nexs.postgres.topology.TopologyEvent;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;

/**
 * The registered {@link PostgresHook}s, and the code that calls them with isolation: a hook that throws or runs
 * past the timeout is logged and counted, and the operation goes on as if it had not been there.
 *
 * <p>Hooks can be added and removed at any time; a change applies to operations that start afterwards. Every
 * point keeps its own list of the hooks that implement it, so an operation whose points no hook implements
 * creates no {@link HookContext} and calls nothing.
 * <pre>{@code
 * hookManager.register(auditHook);
 * ...
 * hookManager.unregister(auditHook);
 * }</pre>
 *
 * <p>The {@code start}, {@code before} and {@code after} methods are how nexs-postgres's operations call the
 * hooks; applications use {@link #register}, {@link #unregister} and {@link #fire}.
 */
public final class HookManager implements HookRegistry, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(HookManager.class);

    private static final HookManager NONE = new HookManager(Duration.ZERO, false);

    private final Duration timeout;

    private final boolean includeParameters;

    private final @Nullable HookWatchdog watchdog;

    private final LongAdder failures = new LongAdder();

    private final LongAdder timeouts = new LongAdder();

    private final FailureLog failureLog = new FailureLog();

    private final Object lock = new Object();

    private final ThreadLocal<ArrayDeque<HookContext>> transactions = ThreadLocal.withInitial(ArrayDeque::new);

    private volatile Registry registry = Registry.EMPTY;

    /** Guarded by {@link #lock}: the registered hooks with their orders, in the order they run. */
    private List<Registration> registrations = List.of();

    /**
     * Creates a manager with no hooks.
     * @param timeout how long one hook may run before it is interrupted and counted as failed;
     * {@link Duration#ZERO} for no limit
     * @param includeParameters whether contexts carry bound parameter values
     */
    public HookManager(Duration timeout, boolean includeParameters) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("The hook timeout must not be negative, not " + timeout);
        }
        this.timeout = timeout;
        this.includeParameters = includeParameters;
        this.watchdog = timeout.isZero() ? null : new HookWatchdog(timeout);
    }

    /**
     * A manager that never has hooks, for operations created without one.
     * @return the shared empty manager; registering on it fails
     */
    public static HookManager none() {
        return NONE;
    }

    /**
     * Adds a hook, placed among the others by its order ({@code @Order}, {@link org.springframework.core.Ordered},
     * or last). Adding a hook twice has no effect.
     * @param hook the hook
     */
    @Override
    public void register(PostgresHook hook) {
        Objects.requireNonNull(hook, "hook");
        register(hook, HookOrder.INSTANCE.of(hook));
    }

    /**
     * Adds a hook at an order given by the caller rather than by the hook's class, for example the order Spring
     * gives a bean whose {@code @Bean} method is annotated with {@code @Order}. Adding a hook twice has no effect.
     * @param hook the hook
     * @param order its place among the others, lowest first; hooks of equal order run in the order they were
     * registered in
     */
    @Override
    public void register(PostgresHook hook, int order) {
        Objects.requireNonNull(hook, "hook");
        if (this == NONE) {
            throw new UnsupportedOperationException("HookManager.none() takes no hooks; create a HookManager");
        }
        synchronized (this.lock) {
            List<Registration> registrations = new ArrayList<>(this.registrations);
            if (registrations.stream().anyMatch((registration) -> registration.hook().equals(hook))) {
                return;
            }
            registrations.add(new Registration(hook, order));
            // stable: hooks of equal order keep the order they were registered in
            registrations.sort(Comparator.comparingInt(Registration::order));
            update(registrations);
        }
        if (this.watchdog != null) {
            this.watchdog.start();
        }
    }

    /**
     * Removes a hook.
     * @param hook the hook
     * @return whether it was registered
     */
    @Override
    public boolean unregister(PostgresHook hook) {
        synchronized (this.lock) {
            List<Registration> registrations = new ArrayList<>(this.registrations);
            boolean removed = registrations.removeIf((registration) -> registration.hook().equals(hook));
            if (removed) {
                update(registrations);
            }
            return removed;
        }
    }

    private void update(List<Registration> registrations) {
        this.registrations = List.copyOf(registrations);
        this.registry = new Registry(registrations.stream().map(Registration::hook).toList());
    }

    /**
     * The registered hooks, in the order they run.
     * @return an immutable copy
     */
    @Override
    public List<PostgresHook> hooks() {
        return List.of(this.registry.all);
    }

    /**
     * How many hook calls failed: threw, or ran past the timeout.
     * @return the count since start-up
     */
    @Override
    public long failureCount() {
        return this.failures.sum();
    }

    /**
     * How many of the {@linkplain #failureCount() failures} were hooks that ran past the timeout.
     * @return the count since start-up
     */
    @Override
    public long timeoutCount() {
        return this.timeouts.sum();
    }

    /**
     * Whether contexts carry bound parameter values.
     * @return whether parameter values are included
     */
    public boolean includesParameters() {
        return this.includeParameters;
    }

    /**
     * How long one hook may run.
     * @return the timeout, {@link Duration#ZERO} for none
     */
    public Duration timeout() {
        return this.timeout;
    }

    /**
     * Calls {@link PostgresHook#onCustomPoint} of every hook with a point of the application's own.
     * @param point the point's name
     * @param context the context, usually from {@link HookContext#custom(String)}, with attributes set
     */
    public void fire(String point, HookContext context) {
        Objects.requireNonNull(point, "point");
        Objects.requireNonNull(context, "context");
        PostgresHook[] hooks = this.registry.byPoint[Point.CUSTOM.ordinal()];
        for (PostgresHook hook : hooks) {
            call(hook, Point.CUSTOM, point, context, null, false);
        }
    }

    /**
     * Starts the context of a query, statement, batch or {@code COPY}, if any hook wants to see it.
     * @param operation the kind
     * @param name the call's name
     * @param sql the SQL
     * @param parameterCount how many parameters it binds
     * @param values the bound values, kept only when parameter values are included
     * @return the context, or {@code null} when no hook implements the operation's points (nor needs its node
     * for the transaction it runs in)
     */
    public @Nullable HookContext start(Operation operation, String name, @Nullable String sql, int parameterCount,
            @Nullable Object @Nullable [] values) {
        Registry current = this.registry;
        if (!current.observes(operation) && !awaitsTransactionNode(current)) {
            return null;
        }
        HookContext context = new HookContext(operation, name, sql, parameterCount,
                (this.includeParameters && values != null) ? values.clone() : null);
        context.hooks = current;
        return context;
    }

    /**
     * Whether the thread is in a transaction that transaction hooks see and whose node is not known yet: the
     * operation then needs a context, though no hook implements its points, for {@link #before} to learn the node.
     */
    private boolean awaitsTransactionNode(Registry current) {
        if (!current.observesTransactions()) {
            return false;
        }
        HookContext transaction = this.transactions.get().peek();
        return transaction != null && transaction.node() == null;
    }

    /** The hooks of the operation: those registered when it started, so none gets an after without a before. */
    private Registry hooksOf(HookContext context) {
        return (context.hooks instanceof Registry started) ? started : this.registry;
    }

    /**
     * Calls the {@code before...} hooks of an operation once it has a connection.
     * @param context the context from {@link #start}
     * @param node the node it runs on, if known
     * @param role the node's role, if known
     * @param attempt the attempt, from 1
     * @throws OperationVetoedException when a hook vetoes the operation; the operation has then ended for the
     * hooks, and the caller must not call {@link #after}
     */
    public void before(HookContext context, @Nullable String node, @Nullable NodeRole role, int attempt) {
        context.node(node, role);
        context.attempt(attempt);
        Registry current = hooksOf(context);
        if (node != null && current.observesTransactions()) {
            HookContext transaction = this.transactions.get().peek();
            if (transaction != null && transaction.node() == null) {
                transaction.node(node, role);
            }
        }
        Point point = Point.before(context.operation());
        PostgresHook[] hooks = current.byPoint[point.ordinal()];
        for (int i = 0; i < hooks.length; i++) {
            try {
                call(hooks[i], point, null, context, null, true);
            }
            catch (OperationVetoedException veto) {
                vetoed(context, current, hooks, i, veto);
                throw veto;
            }
        }
    }

    /**
     * Ends an operation a hook vetoed: the hooks whose {@code before...} method already ran get their
     * {@code after...} method, and every {@code onError} hook sees the veto as the operation's error.
     */
    private void vetoed(HookContext context, Registry current, PostgresHook[] before, int vetoing,
            OperationVetoedException veto) {
        context.finish(HookContext.UNKNOWN_ROWS, veto);
        Point after = Point.after(context.operation());
        for (PostgresHook hook : current.byPoint[after.ordinal()]) {
            for (int i = 0; i < vetoing; i++) {
                if (before[i] == hook) {
                    call(hook, after, null, context, null, false);
                    break;
                }
            }
        }
        for (PostgresHook hook : current.byPoint[Point.ERROR.ordinal()]) {
            call(hook, Point.ERROR, null, context, null, false);
        }
    }

    /**
     * Calls the {@code after...} hooks of an operation, and {@code onError} when it failed.
     * @param context the context from {@link #start}
     * @param rows the rows returned or affected, or {@link HookContext#UNKNOWN_ROWS}
     * @param error the failure the caller gets, or {@code null}
     */
    public void after(HookContext context, long rows, @Nullable Throwable error) {
        context.finish(rows, error);
        Registry current = hooksOf(context);
        Point point = Point.after(context.operation());
        for (PostgresHook hook : current.byPoint[point.ordinal()]) {
            call(hook, point, null, context, null, false);
        }
        if (error != null) {
            for (PostgresHook hook : current.byPoint[Point.ERROR.ordinal()]) {
                call(hook, Point.ERROR, null, context, null, false);
            }
        }
    }

    /**
     * Calls {@link PostgresHook#onConnectionAcquired} of the hooks that implement it.
     * @param node the node whose pool lent the connection
     * @param role its role
     * @param waitNanos how long the borrower waited
     */
    public void connectionAcquired(String node, @Nullable NodeRole role, long waitNanos) {
        connection(Point.CONNECTION_ACQUIRED, node, role, waitNanos);
    }

    /**
     * Calls {@link PostgresHook#onConnectionReleased} of the hooks that implement it.
     * @param node the node whose pool took the connection back
     * @param role its role
     * @param heldNanos how long it was borrowed
     */
    public void connectionReleased(String node, @Nullable NodeRole role, long heldNanos) {
        connection(Point.CONNECTION_RELEASED, node, role, heldNanos);
    }

    /**
     * Whether any hook implements a connection point; when none does, pools need not report.
     * @return whether connection events are wanted
     */
    public boolean observesConnections() {
        Registry current = this.registry;
        return current.byPoint[Point.CONNECTION_ACQUIRED.ordinal()].length
                + current.byPoint[Point.CONNECTION_RELEASED.ordinal()].length > 0;
    }

    private void connection(Point point, String node, @Nullable NodeRole role, long nanos) {
        PostgresHook[] hooks = this.registry.byPoint[point.ordinal()];
        if (hooks.length == 0) {
            return;
        }
        HookContext context = new HookContext(Operation.CONNECTION, "connection", null, 0, null);
        context.node(node, role);
        context.finish(HookContext.UNKNOWN_ROWS, null);
        context.duration(nanos);
        for (PostgresHook hook : hooks) {
            call(hook, point, null, context, null, false);
        }
    }

    /**
     * Passes a topology event to the hooks that implement {@link PostgresHook#onNodeStateChange} or
     * {@link PostgresHook#onFailover}.
     * @param event the event
     */
    public void onTopologyEvent(TopologyEvent event) {
        if (event instanceof NodeStateChangedEvent || event instanceof FailoverEvent) {
            Point point = (event instanceof FailoverEvent) ? Point.FAILOVER : Point.NODE_STATE;
            for (PostgresHook hook : this.registry.byPoint[point.ordinal()]) {
                call(hook, point, null, null, event, false);
            }
        }
    }

    /**
     * The listener that calls the transaction hooks; nexs-postgres adds it to its own transaction manager, and
     * Spring Boot adds it to the application's when it is a bean.
     * @return the listener
     */
    public TransactionExecutionListener transactionListener() {
        return new TransactionHooks();
    }

    /** Stops the thread that interrupts hooks running past the timeout. */
    @Override
    public void close() {
        if (this.watchdog != null) {
            this.watchdog.close();
        }
    }

    private void call(PostgresHook hook, Point point, @Nullable String custom, @Nullable HookContext context,
            @Nullable TopologyEvent event, boolean mayVeto) {
        HookWatchdog watchdog = this.watchdog;
        HookWatchdog.Slot slot = (watchdog != null) ? watchdog.enter() : null;
        long start = (slot != null) ? System.nanoTime() : 0;
        Throwable failure = null;
        boolean interrupted = false;
        try {
            dispatch(hook, point, custom, context, event);
        }
        catch (OperationVetoedException veto) {
            if (mayVeto) {
                if (slot != null) {
                    watchdog.exit(slot);
                    slot = null;
                }
                throw veto;
            }
            failure = veto;
        }
        catch (Throwable ex) {
            if (ex instanceof VirtualMachineError error) {
                throw error;
            }
            failure = ex;
        }
        finally {
            if (slot != null) {
                interrupted = watchdog.exit(slot);
            }
        }
        boolean late = interrupted || (slot != null && System.nanoTime() - start > this.timeout.toNanos());
        if (late) {
            this.timeouts.increment();
            this.failures.increment();
            this.failureLog.timedOut(hook, point, this.timeout, context);
        }
        else if (failure != null) {
            this.failures.increment();
            this.failureLog.failed(hook, point, failure, context);
        }
    }

    private void dispatch(PostgresHook hook, Point point, @Nullable String custom, @Nullable HookContext context,
            @Nullable TopologyEvent event) {
        switch (point) {
            case CONNECTION_ACQUIRED -> hook.onConnectionAcquired(context);
            case CONNECTION_RELEASED -> hook.onConnectionReleased(context);
            case BEFORE_QUERY -> hook.beforeQuery(context);
            case AFTER_QUERY -> hook.afterQuery(context);
            case BEFORE_EXEC -> hook.beforeExec(context);
            case AFTER_EXEC -> hook.afterExec(context);
            case BEFORE_BATCH -> hook.beforeBatch(context);
            case AFTER_BATCH -> hook.afterBatch(context);
            case BEFORE_COPY -> hook.beforeCopy(context);
            case AFTER_COPY -> hook.afterCopy(context);
            case TRANSACTION_BEGIN -> hook.onTransactionBegin(context);
            case TRANSACTION_COMMIT -> hook.onTransactionCommit(context);
            case TRANSACTION_ROLLBACK -> hook.onTransactionRollback(context);
            case ERROR -> hook.onError(context);
            case NODE_STATE -> hook.onNodeStateChange((NodeStateChangedEvent) event);
            case FAILOVER -> hook.onFailover((FailoverEvent) event);
            case CUSTOM -> hook.onCustomPoint(custom, context);
        }
    }

    @Override
    public String toString() {
        return "HookManager[" + this.registry.all.length + " hooks, timeout " + this.timeout + "]";
    }

    /** The hook points, each with the method that implements it. */
    enum Point {

        CONNECTION_ACQUIRED("onConnectionAcquired", HookContext.class),
        CONNECTION_RELEASED("onConnectionReleased", HookContext.class),
        BEFORE_QUERY("beforeQuery", HookContext.class),
        AFTER_QUERY("afterQuery", HookContext.class),
        BEFORE_EXEC("beforeExec", HookContext.class),
        AFTER_EXEC("afterExec", HookContext.class),
        BEFORE_BATCH("beforeBatch", HookContext.class),
        AFTER_BATCH("afterBatch", HookContext.class),
        BEFORE_COPY("beforeCopy", HookContext.class),
        AFTER_COPY("afterCopy", HookContext.class),
        TRANSACTION_BEGIN("onTransactionBegin", HookContext.class),
        TRANSACTION_COMMIT("onTransactionCommit", HookContext.class),
        TRANSACTION_ROLLBACK("onTransactionRollback", HookContext.class),
        ERROR("onError", HookContext.class),
        NODE_STATE("onNodeStateChange", NodeStateChangedEvent.class),
        FAILOVER("onFailover", FailoverEvent.class),
        CUSTOM("onCustomPoint", String.class, HookContext.class);

        private final String method;

        private final Class<?>[] parameters;

        Point(String method, Class<?>... parameters) {
            this.method = method;
            this.parameters = parameters;
        }

        String method() {
            return this.method;
        }

        boolean implementedBy(PostgresHook hook) {
            try {
                Method method = hook.getClass().getMethod(this.method, this.parameters);
                return method.getDeclaringClass() != PostgresHook.class;
            }
            catch (NoSuchMethodException ex) {
                return true;
            }
        }

        static Point before(Operation operation) {
            return switch (operation) {
                case QUERY -> BEFORE_QUERY;
                case EXEC -> BEFORE_EXEC;
                case BATCH -> BEFORE_BATCH;
                case COPY -> BEFORE_COPY;
                default -> throw new IllegalArgumentException("No before point for " + operation);
            };
        }

        static Point after(Operation operation) {
            return switch (operation) {
                case QUERY -> AFTER_QUERY;
                case EXEC -> AFTER_EXEC;
                case BATCH -> AFTER_BATCH;
                case COPY -> AFTER_COPY;
                default -> throw new IllegalArgumentException("No after point for " + operation);
            };
        }

    }

    /** A registered hook and its place. */
    private record Registration(PostgresHook hook, int order) {
    }

    /** The order Spring would give a hook of its own: {@code @Order}, {@code Ordered}, {@code @Priority}. */
    private static final class HookOrder extends AnnotationAwareOrderComparator {

        static final HookOrder INSTANCE = new HookOrder();

        int of(Object hook) {
            return getOrder(hook);
        }

    }

    /** An immutable snapshot of the hooks, with one array per point. */
    private static final class Registry {

        static final Registry EMPTY = new Registry(List.of());

        final PostgresHook[] all;

        final PostgresHook[][] byPoint;

        /** Per {@link Operation}, whether any hook implements its before, after or error point. */
        private final boolean[] observed;

        Registry(List<PostgresHook> hooks) {
            this.all = hooks.toArray(new PostgresHook[0]);
            Point[] points = Point.values();
            this.byPoint = new PostgresHook[points.length][];
            for (Point point : points) {
                this.byPoint[point.ordinal()] = hooks.stream().filter(point::implementedBy)
                    .toArray(PostgresHook[]::new);
            }
            this.observed = new boolean[Operation.values().length];
            int errors = this.byPoint[Point.ERROR.ordinal()].length;
            for (Operation operation : new Operation[] { Operation.QUERY, Operation.EXEC, Operation.BATCH,
                    Operation.COPY }) {
                this.observed[operation.ordinal()] = errors + this.byPoint[Point.before(operation).ordinal()].length
                        + this.byPoint[Point.after(operation).ordinal()].length > 0;
            }
        }

        boolean observes(Operation operation) {
            return this.observed[operation.ordinal()];
        }

        boolean observesTransactions() {
            return this.byPoint[Point.TRANSACTION_BEGIN.ordinal()].length
                    + this.byPoint[Point.TRANSACTION_COMMIT.ordinal()].length
                    + this.byPoint[Point.TRANSACTION_ROLLBACK.ordinal()].length > 0;
        }

    }

    /** Calls the transaction hooks from Spring's transaction managers. */
    private final class TransactionHooks implements TransactionExecutionListener {

        @Override
        public void afterBegin(TransactionExecution transaction, @Nullable Throwable beginFailure) {
            Registry current = HookManager.this.registry;
            if (beginFailure != null || !current.observesTransactions()) {
                return;
            }
            endAbandoned();
            HookContext context = new HookContext(Operation.TRANSACTION, transactionName(transaction), null, 0,
                    null);
            context.owner = transaction;
            context.hooks = current;
            HookManager.this.transactions.get().push(context);
            for (PostgresHook hook : current.byPoint[Point.TRANSACTION_BEGIN.ordinal()]) {
                call(hook, Point.TRANSACTION_BEGIN, null, context, null, false);
            }
        }

        @Override
        public void afterCommit(TransactionExecution transaction, @Nullable Throwable commitFailure) {
            end(transaction, (commitFailure == null) ? Point.TRANSACTION_COMMIT : Point.TRANSACTION_ROLLBACK,
                    commitFailure);
        }

        @Override
        public void afterRollback(TransactionExecution transaction, @Nullable Throwable rollbackFailure) {
            end(transaction, Point.TRANSACTION_ROLLBACK, rollbackFailure);
        }

        private void end(TransactionExecution transaction, Point point, @Nullable Throwable failure) {
            HookContext context = null;
            for (java.util.Iterator<HookContext> open = HookManager.this.transactions.get().iterator(); open
                .hasNext();) {
                HookContext candidate = open.next();
                if (candidate.owner == transaction) {
                    open.remove();
                    context = candidate;
                    break;
                }
            }
            endAbandoned();
            if (context == null) {
                // begun while no hook was registered, or not a transaction of its own (participating)
                return;
            }
            context.finish(HookContext.UNKNOWN_ROWS, failure);
            for (PostgresHook hook : hooksOf(context).byPoint[point.ordinal()]) {
                call(hook, point, null, context, null, false);
            }
        }

        /**
         * Ends, as rolled back, the transactions of this thread that completed without their listeners being
         * called: Spring skips them when a {@code beforeCommit} callback throws a transaction exception. Their hooks
         * may hold state, such as an observation scope, that must not outlive them.
         */
        private void endAbandoned() {
            for (java.util.Iterator<HookContext> open = HookManager.this.transactions.get().iterator(); open
                .hasNext();) {
                HookContext stale = open.next();
                if (stale.owner instanceof TransactionExecution execution && execution.isCompleted()) {
                    open.remove();
                    stale.finish(HookContext.UNKNOWN_ROWS, null);
                    for (PostgresHook hook : hooksOf(stale).byPoint[Point.TRANSACTION_ROLLBACK.ordinal()]) {
                        call(hook, Point.TRANSACTION_ROLLBACK, null, stale, null, false);
                    }
                }
            }
        }

        private static String transactionName(TransactionExecution transaction) {
            String name = transaction.getTransactionName();
            return (name == null || name.isEmpty()) ? "transaction" : name;
        }

    }

}
