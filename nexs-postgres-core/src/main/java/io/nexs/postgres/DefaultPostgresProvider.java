package io.nexs.postgres;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.nexs.postgres.execution.ClusterRouting;
import io.nexs.postgres.execution.OperationRunner;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.HookRegistry;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolListener;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.CommitSettlingDataSource;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetryStatistics;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;
import org.springframework.transaction.TransactionDefinition;

/**
 * {@link PostgresProvider} over a {@link ClusterTopology}. Its {@link #dataSource()} is a Spring
 * {@link LazyConnectionDataSourceProxy}: a transaction's connection is fetched at its first statement, when the
 * transaction's read-only flag is known, from the primary or from a reader. Its primary connections come through a
 * {@link CommitSettlingDataSource}, so a commit whose answer was lost is settled whoever commits. Closing the
 * provider stops the monitors and drains the pools.
 */
public class DefaultPostgresProvider extends PostgresTemplate implements PostgresProvider, AutoCloseable {

    private final ClusterTopology topology;

    private final LazyConnectionDataSourceProxy dataSource;

    private final Map<ReadPreference, PostgresOperations> views = new EnumMap<>(ReadPreference.class);

    /**
     * Creates a provider over a started topology, which it owns from now on, with no hooks and no retries.
     * @param topology the nodes
     * @param rowMappers the row mappers
     * @param fetchSize rows per round trip of a stream
     */
    public DefaultPostgresProvider(ClusterTopology topology, RowMappers rowMappers, int fetchSize) {
        this(topology, rowMappers, fetchSize, HookManager.none(), Retrier.disabled());
    }

    /**
     * Creates a provider over a started topology, which it owns from now on. The hooks are told of the
     * topology's events and of every borrow from its pools.
     * @param topology the nodes
     * @param rowMappers the row mappers
     * @param fetchSize rows per round trip of a stream
     * @param hooks the hooks
     * @param retrier how transient failures are retried
     */
    public DefaultPostgresProvider(ClusterTopology topology, RowMappers rowMappers, int fetchSize, HookManager hooks,
            Retrier retrier) {
        this(topology, routedDataSource(topology, retrier), rowMappers, fetchSize, hooks, retrier);
    }

    private DefaultPostgresProvider(ClusterTopology topology, LazyConnectionDataSourceProxy dataSource,
            RowMappers rowMappers, int fetchSize, HookManager hooks, Retrier retrier) {
        super(new OperationRunner(dataSource, new ClusterRouting(topology, topology.settings().readPreference(), false),
                rowMappers, fetchSize, hooks, retrier), null, null);
        this.topology = topology;
        this.dataSource = dataSource;
        for (ReadPreference preference : ReadPreference.values()) {
            // a view is the same path routed by another preference, sharing this provider's COPY defaults
            this.views.put(preference, (preference == topology.settings().readPreference()) ? this
                    : new PostgresTemplate(runner().withRouting(new ClusterRouting(topology, preference, true)), this,
                            "PostgresOperations[read preference " + preference + "]"));
        }
        if (hooks != HookManager.none()) {
            topology.addListener(hooks::onTopologyEvent);
            topology.setPoolListener(new ConnectionHooks(topology, hooks));
        }
    }

    private static LazyConnectionDataSourceProxy routedDataSource(ClusterTopology topology, Retrier retrier) {
        LazyConnectionDataSourceProxy proxy = new LazyConnectionDataSourceProxy();
        // whoever commits on a primary connection (any transaction manager, Hibernate, jOOQ, plain JDBC) has a
        // lost answer settled; read-only connections write nothing
        RoutingDataSource primary = RoutingDataSource.primary(topology);
        proxy.setTargetDataSource(new CommitSettlingDataSource(primary,
                new CommitOutcomeCheck(primary, retrier.settings().verifyCommitTimeout()), retrier));
        proxy.setReadOnlyDataSource(RoutingDataSource.reads(topology, topology.settings().readPreference()));
        // Known defaults, so the proxy never borrows a connection just to learn them (and never waits for a
        // primary to do so). PostgreSQL's default isolation is read committed.
        proxy.setDefaultAutoCommit(true);
        proxy.setDefaultTransactionIsolation(TransactionDefinition.ISOLATION_READ_COMMITTED);
        proxy.afterPropertiesSet();
        return proxy;
    }

    @Override
    public DataSource dataSource() {
        return this.dataSource;
    }

    @Override
    public NodePool primary() {
        return this.topology.primary()
            .orElseThrow(() -> new FailoverInProgressException("No PostgreSQL node can take writes right now "
                    + "(failover in progress?): " + this.topology, null))
            .pool();
    }

    @Override
    public List<NodePool> nodes() {
        return this.topology.nodes().stream().map(ClusterNode::pool).toList();
    }

    @Override
    public ClusterTopology topology() {
        return this.topology;
    }

    @Override
    public PostgresOperations withReadPreference(ReadPreference preference) {
        return this.views.get(preference);
    }

    @Override
    public HookRegistry hooks() {
        return getHooks();
    }

    @Override
    public RetryStatistics retryStatistics() {
        return getRetrier().statistics();
    }

    /**
     * Stops the monitors, then waits for borrowed connections to come back, up to each pool's shutdown timeout,
     * and closes the pools.
     */
    @Override
    public void close() {
        this.topology.close();
    }

    /** Tells the hooks of borrows and returns, when one of them listens. */
    private static final class ConnectionHooks implements PoolListener {

        private final ClusterTopology topology;

        private final HookManager hooks;

        ConnectionHooks(ClusterTopology topology, HookManager hooks) {
            this.topology = topology;
            this.hooks = hooks;
        }

        @Override
        public void acquired(NodePool pool, long waitNanos) {
            if (this.hooks.observesConnections()) {
                this.hooks.connectionAcquired(pool.name(), role(pool), waitNanos);
            }
        }

        @Override
        public void released(NodePool pool, long heldMillis) {
            if (this.hooks.observesConnections()) {
                this.hooks.connectionReleased(pool.name(), role(pool), TimeUnit.MILLISECONDS.toNanos(heldMillis));
            }
        }

        private @Nullable NodeRole role(NodePool pool) {
            for (ClusterNode node : this.topology.nodes()) {
                if (node.pool() == pool) {
                    return node.role();
                }
            }
            return null;
        }

    }

}
