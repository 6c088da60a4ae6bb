package io.nexs.postgres.observe;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.Operation;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeHealth;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;
import org.jspecify.annotations.Nullable;

/**
 * The counters and per-node gauges of nexs-postgres, by the names dashboards and alert rules rely on (Prometheus
 * names in brackets): errors by SQLSTATE class and operation ({@code db_errors_total}), transactions by outcome
 * ({@code db_transactions_total}), retries ({@code db_retries_total}), failovers ({@code db_failovers_total}),
 * hook failures ({@code db_hook_failures_total}), rows, bytes and buffered bytes of {@code COPY}
 * ({@code db_copy_rows_total}, {@code db_copy_bytes_total}, {@code db_copy_buffer_bytes}), connections held past the leak threshold
 * ({@code db_connection_leaks_total}), and per node whether it is up ({@code db_node_up}), whether it is the
 * writable primary ({@code db_node_primary}) and its replay lag ({@code db_replica_lag_seconds}).
 *
 * <p>Everything is registered when bound, at zero, so dashboards and alert rules see every series before the
 * first error or failover. Tags hold no SQL, values or tenants: the operation kind, a two-character SQLSTATE
 * class, an outcome and the node's {@code host:port}. Query durations come from {@link ObservingHook}.
 */
public class PostgresMetrics implements MeterBinder, PostgresHook, SafetyListener {

    /** The SQLSTATE classes counted from the start for every operation: connection failures and rollbacks. */
    private static final List<String> REGISTERED_CLASSES = List.of("08", "40");

    private static final List<Operation> OPERATIONS = List.of(Operation.QUERY, Operation.EXEC, Operation.BATCH,
            Operation.COPY, Operation.TRANSACTION);

    private final PostgresProvider provider;

    private final AtomicLong failovers = new AtomicLong();

    /** The buffer bytes of a running {@code COPY} this counted, to take back when it ends. */
    private static final String COUNTED_BUFFER = "nexs.metrics.copyBuffer";

    private final AtomicLong copyBufferBytes = new AtomicLong();

    private final AtomicLong connectionLeaks = new AtomicLong();

    private final AtomicLong deadlocks = new AtomicLong();

    private final List<Bound> registries = new CopyOnWriteArrayList<>();

    /**
     * Creates the metrics of a provider.
     * @param provider the provider whose nodes, retries and hooks are measured
     */
    public PostgresMetrics(PostgresProvider provider) {
        this.provider = provider;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Operation operation : OPERATIONS) {
            for (String sqlStateClass : REGISTERED_CLASSES) {
                errors(registry, operation, sqlStateClass);
            }
        }
        FunctionCounter.builder("db.retries", this.provider, (measured) -> measured.retryStatistics().retries())
            .description("Operations run again after a transient failure")
            .register(registry);
        FunctionCounter.builder("db.failovers", this.failovers, AtomicLong::get)
            .description("Times writes moved to a new primary")
            .register(registry);
        FunctionCounter.builder("db.hook.failures", this.provider, (measured) -> measured.hooks().failureCount())
            .description("Hook calls that threw or ran past the hook timeout")
            .register(registry);
        FunctionCounter.builder("db.connection.leaks", this.connectionLeaks, AtomicLong::get)
            .description("Connections held longer than the leak threshold")
            .register(registry);
        FunctionCounter.builder("db.deadlocks", this.deadlocks, AtomicLong::get)
            .description("Deadlocks the server resolved in the application's database, as the safety monitor saw")
            .register(registry);
        Gauge.builder("db.copy.buffer", this.copyBufferBytes, AtomicLong::get)
            .description("Bytes held by COPY buffers")
            .baseUnit("bytes")
            .register(registry);
        for (NodeHealth node : this.provider.topology().health()) {
            String name = node.name();
            nodeGauge(registry, "db.node.up", name, "1 when the node passes its checks, else 0", null,
                    (health) -> (health.state() == NodeState.HEALTHY) ? 1 : 0);
            nodeGauge(registry, "db.node.primary", name, "1 when the node is the writable primary, else 0", null,
                    (health) -> (health.role() == NodeRole.PRIMARY && health.writable()) ? 1 : 0);
            nodeGauge(registry, "db.replica.lag", name, "How far the node's replay is behind the primary", "seconds",
                    (health) -> {
                        Duration lag = health.replayLag();
                        return (lag != null) ? lag.toNanos() / 1e9 : 0;
                    });
        }
        this.registries.add(new Bound(registry,
                transactions(registry, "committed"), transactions(registry, "rolled_back"),
                transactions(registry, "failed"),
                Counter.builder("db.copy.rows").description("Rows copied in or out").register(registry),
                Counter.builder("db.copy.bytes").description("Bytes copied in or out").baseUnit("bytes")
                    .register(registry)));
    }

    private void nodeGauge(MeterRegistry registry, String name, String node, String description,
            @Nullable String unit, ToDoubleFunction<NodeHealth> value) {
        Gauge.builder(name, this.provider, (measured) -> {
            for (NodeHealth health : measured.topology().health()) {
                if (health.name().equals(node)) {
                    return value.applyAsDouble(health);
                }
            }
            return Double.NaN;
        }).description(description).baseUnit(unit).tag("node", node).register(registry);
    }

    private static Counter transactions(MeterRegistry registry, String outcome) {
        return Counter.builder("db.transactions")
            .description("Transactions ended: committed, rolled back, or failed to commit or roll back")
            .tag("outcome", outcome)
            .register(registry);
    }

    private static Counter errors(MeterRegistry registry, Operation operation, String sqlStateClass) {
        return Counter.builder("db.errors")
            .description("Failed database operations, by SQLSTATE class")
            .tag("operation", operation.label())
            .tag("sqlstate_class", sqlStateClass)
            .register(registry);
    }

    @Override
    public void onError(HookContext context) {
        String sqlState = context.sqlState();
        String sqlStateClass = (sqlState != null && sqlState.length() >= 2) ? sqlState.substring(0, 2) : "none";
        for (Bound bound : this.registries) {
            errors(bound.registry, context.operation(), sqlStateClass).increment();
        }
    }

    @Override
    public void onTransactionCommit(HookContext context) {
        for (Bound bound : this.registries) {
            bound.committed.increment();
        }
    }

    @Override
    public void onTransactionRollback(HookContext context) {
        boolean failed = context.error() != null;
        for (Bound bound : this.registries) {
            (failed ? bound.failed : bound.rolledBack).increment();
        }
    }

    @Override
    public void beforeCopy(HookContext context) {
        if (context.attribute(HookContext.COPY_BUFFER_BYTES) instanceof Long bytes) {
            this.copyBufferBytes.addAndGet(bytes);
            context.attributes().put(COUNTED_BUFFER, bytes);
        }
    }

    @Override
    public void afterCopy(HookContext context) {
        if (context.attribute(COUNTED_BUFFER) instanceof Long bytes) {
            // taken out, so an after called twice does not count it back twice
            context.attributes().remove(COUNTED_BUFFER);
            this.copyBufferBytes.addAndGet(-bytes);
        }
        if (context.rows() > 0) {
            for (Bound bound : this.registries) {
                bound.copyRows.increment(context.rows());
            }
        }
        if (context.attribute(HookContext.COPY_BYTES) instanceof Long bytes && bytes > 0) {
            for (Bound bound : this.registries) {
                bound.copyBytes.increment(bytes);
            }
        }
    }

    @Override
    public void onFailover(FailoverEvent event) {
        this.failovers.incrementAndGet();
    }

    @Override
    public void connectionLeaked() {
        this.connectionLeaks.incrementAndGet();
    }

    @Override
    public void deadlocksResolved(long count) {
        this.deadlocks.addAndGet(count);
    }

    /**
     * Adds to or takes from the bytes {@code COPY} buffers hold.
     * @param delta bytes allocated (positive) or released (negative)
     */
    public void copyBufferChanged(long delta) {
        this.copyBufferBytes.addAndGet(delta);
    }

    @Override
    public String toString() {
        return "PostgresMetrics";
    }

    private record Bound(MeterRegistry registry, Counter committed, Counter rolledBack, Counter failed,
            Counter copyRows, Counter copyBytes) {
    }

}
