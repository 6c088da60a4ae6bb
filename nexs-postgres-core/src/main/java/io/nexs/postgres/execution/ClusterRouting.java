package io.nexs.postgres.execution;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.RoutingDataSource;
import org.jspecify.annotations.Nullable;

/**
 * Routing over a cluster: writes to the primary, reads by a read preference, and a lost connection reported to
 * the monitor so that a failing node is named in the exception.
 */
public final class ClusterRouting implements NodeRouting {

    private final ClusterTopology topology;

    private final DataSource writes;

    private final DataSource reads;

    private final @Nullable ReadPreference transactionPreference;

    /**
     * Creates the routing.
     * @param topology the nodes
     * @param preference which nodes serve reads
     * @param ownPreference whether read-only transactions must take {@code preference} rather than the routed
     * data source's own
     */
    public ClusterRouting(ClusterTopology topology, ReadPreference preference, boolean ownPreference) {
        this.topology = topology;
        this.writes = RoutingDataSource.primary(topology);
        this.reads = RoutingDataSource.reads(topology, preference);
        this.transactionPreference = ownPreference ? preference : null;
    }

    @Override
    public DataSource writes() {
        return this.writes;
    }

    @Override
    public DataSource reads() {
        return this.reads;
    }

    @Override
    public @Nullable ClusterNode nodeOf(Connection connection) {
        return this.topology.nodeOf(connection).orElse(null);
    }

    @Override
    public @Nullable ReadPreference transactionReadPreference() {
        return this.transactionPreference;
    }

    /**
     * When a connection was lost and its node turns out to be failing, replaces the exception with a
     * {@link FailoverInProgressException} that says so. The node's pool told the monitor of the loss when the
     * driver threw it, so this only waits for the monitor's verdict.
     */
    @Override
    public RuntimeException describeFailure(String task, SQLException ex, Statement statement,
            RuntimeException translated) {
        if (!SqlStates.isConnectionLoss(ex.getSQLState())) {
            return translated;
        }
        Optional<ClusterNode> failed = this.topology.nodeOf(statement);
        if (failed.isEmpty()) {
            return translated;
        }
        ClusterNode node = failed.get();
        NodeState state = this.topology.awaitVerdict(node);
        boolean displaced = node.role() == NodeRole.PRIMARY && !node.isWritable();
        if (state == NodeState.HEALTHY && !displaced) {
            // the node is fine: this one session was lost (terminated, or a network blip)
            return translated;
        }
        return new FailoverInProgressException(task + " lost its connection to PostgreSQL node " + node.name()
                + ", which is " + state.label() + " (" + node.role().label() + "): failover in progress; work that "
                + "did not take effect may be retried once a primary takes writes", translated);
    }

}
