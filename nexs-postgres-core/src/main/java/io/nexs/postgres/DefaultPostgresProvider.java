package io.nexs.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolListener;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetryStatistics;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionCallback;

/**
 * {@link PostgresProvider} over a {@link ClusterTopology}. Its {@link #dataSource()} is a Spring
 * {@link LazyConnectionDataSourceProxy}: a transaction's connection is fetched at its first statement, when the
 * transaction's read-only flag is known, from the primary or from a reader. Closing the provider stops the
 * monitors and drains the pools.
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
        this(topology, routedDataSource(topology), rowMappers, fetchSize, hooks, retrier);
    }

    private DefaultPostgresProvider(ClusterTopology topology, LazyConnectionDataSourceProxy dataSource,
            RowMappers rowMappers, int fetchSize, HookManager hooks, Retrier retrier) {
        super(dataSource, RoutingDataSource.primary(topology),
                RoutingDataSource.reads(topology, topology.settings().readPreference()), rowMappers, fetchSize, hooks,
                retrier);
        this.topology = topology;
        this.dataSource = dataSource;
        for (ReadPreference preference : ReadPreference.values()) {
            this.views.put(preference, (preference == topology.settings().readPreference()) ? this
                    : new PreferenceView(this, preference, rowMappers, fetchSize, hooks, retrier));
        }
        if (hooks != HookManager.none()) {
            topology.addListener(hooks::onTopologyEvent);
            topology.setPoolListener(new ConnectionHooks(topology, hooks));
        }
    }

    private static LazyConnectionDataSourceProxy routedDataSource(ClusterTopology topology) {
        LazyConnectionDataSourceProxy proxy = new LazyConnectionDataSourceProxy();
        proxy.setTargetDataSource(RoutingDataSource.primary(topology));
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
    public HookManager hooks() {
        return getHooks();
    }

    @Override
    public RetryStatistics retryStatistics() {
        return getRetrier().statistics();
    }

    @Override
    @Nullable ClusterNode node(Connection connection) {
        return this.topology.nodeOf(connection).orElse(null);
    }

    @Override
    RuntimeException failure(String task, @Nullable String sql, SQLException ex,
            @Nullable Object @Nullable [] values, @Nullable Statement statement) {
        return describeFailover(this.topology, task, ex, statement, super.failure(task, sql, ex, values, statement));
    }

    /**
     * When a connection was lost, tells the monitor and, if the node turns out to be failing, replaces the
     * exception with a {@link FailoverInProgressException} that says so.
     */
    static RuntimeException describeFailover(ClusterTopology topology, String task, SQLException ex,
            @Nullable Statement statement, RuntimeException translated) {
        if (statement == null || !SqlStates.isConnectionLoss(ex.getSQLState())) {
            return translated;
        }
        Optional<ClusterNode> failed = topology.connectionFailed(statement);
        if (failed.isEmpty()) {
            return translated;
        }
        ClusterNode node = failed.get();
        NodeState state = topology.awaitVerdict(node);
        boolean displaced = node.role() == NodeRole.PRIMARY && !node.isWritable();
        if (state == NodeState.HEALTHY && !displaced) {
            // the node is fine: this one session was lost (terminated, or a network blip)
            return translated;
        }
        return new FailoverInProgressException(task + " lost its connection to PostgreSQL node " + node.name()
                + ", which is " + state.label() + " (" + node.role().label() + "): failover in progress, the work "
                + "may be retried once a primary takes writes", translated);
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

    /** The provider's operations with another read preference. */
    private static final class PreferenceView extends PostgresTemplate {

        private final DefaultPostgresProvider provider;

        private final ReadPreference preference;

        PreferenceView(DefaultPostgresProvider provider, ReadPreference preference, RowMappers rowMappers,
                int fetchSize, HookManager hooks, Retrier retrier) {
            super(provider.dataSource, RoutingDataSource.primary(provider.topology),
                    RoutingDataSource.reads(provider.topology, preference), rowMappers, fetchSize, hooks, retrier);
            this.provider = provider;
            this.preference = preference;
        }

        @Override
        @Nullable ClusterNode node(Connection connection) {
            return this.provider.node(connection);
        }

        @Override
        public CopyOptions getCopyDefaults() {
            return this.provider.getCopyDefaults();
        }

        @Override
        public <T> T inTransaction(TransactionOptions options, TransactionCallback<T> callback) {
            return RoutingDataSource.withReadPreference(this.preference,
                    () -> super.inTransaction(options, callback));
        }

        @Override
        RuntimeException failure(String task, @Nullable String sql, SQLException ex,
                @Nullable Object @Nullable [] values, @Nullable Statement statement) {
            return describeFailover(this.provider.topology, task, ex, statement,
                    super.failure(task, sql, ex, values, statement));
        }

        @Override
        public String toString() {
            return "PostgresOperations[read preference " + this.preference + "]";
        }

    }

}
