package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Executor;

import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.pool.NodePool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a {@link ClusterTopology}: its pool and what the monitor knows about it. The monitor's fields are
 * written under the topology's lock and read without it.
 */
public final class ClusterNode {

    private static final Logger logger = LoggerFactory.getLogger(ClusterNode.class);

    /**
     * One round trip that tells the role, the timeline (from the last checkpoint, and for a primary from the WAL
     * file it writes, which changes at once on promotion) and the WAL position: written for a primary, replayed
     * for a replica.
     */
    static final String CHECK_SQL = """
            select pg_is_in_recovery(), current_setting('server_version'),
                   (pg_control_checkpoint()).timeline_id,
                   case when pg_is_in_recovery() then null else pg_walfile_name(pg_current_wal_lsn()) end,
                   (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text""";

    /** The same without {@code pg_control_checkpoint()}, for users not allowed to call it. */
    static final String CHECK_SQL_WITHOUT_CONTROL = CHECK_SQL.replace("(pg_control_checkpoint()).timeline_id", "0");

    private static final Executor SAME_THREAD = Runnable::run;

    private static final double LATENCY_SMOOTHING = 0.3;

    private final NodeDefinition definition;

    private final NodePool pool;

    final Object monitorLock = new Object();

    boolean wakeRequested;

    volatile boolean monitored = true;

    volatile @Nullable Thread monitorThread;

    private @Nullable Connection checkConnection;

    private String checkSql = CHECK_SQL;

    volatile NodeState state = NodeState.UNHEALTHY;

    volatile NodeRole role = NodeRole.UNKNOWN;

    volatile long timeline;

    volatile long lsn = -1;

    /** How far replay trails the primary, from the topology's history of primary positions; -1 unknown. */
    volatile long lagNanos = -1;

    volatile long latencyNanos = -1;

    volatile int failures;

    /** Checks completed, good or bad. */
    volatile long checks;

    /** Checks that succeeded. */
    volatile long goodChecks;

    /** Checks the monitor has begun, counted from 1. */
    volatile long probesStarted;

    /** The number of the last check the monitor has finished and applied. */
    volatile long lastProbeCompleted;

    /**
     * Whether a check of this node, as the writable primary, has been running for longer than a healthy server
     * takes: the other nodes are then checked often, so a promotion elsewhere is seen at once.
     */
    volatile boolean stalled;

    /** When the node, as the writable primary, first stopped answering in time; 0 while it answers. */
    volatile long troubleSince;

    volatile int successes;

    volatile @Nullable Instant lastChecked;

    volatile @Nullable String lastError;

    volatile @Nullable String serverVersion;

    volatile boolean stale;

    volatile boolean writable;

    ClusterNode(NodeDefinition definition, NodePool pool) {
        this.definition = definition;
        this.pool = pool;
    }

    /**
     * The node's name: {@code host:port} unless the configuration gives one.
     * @return the name
     */
    public String name() {
        return this.definition.name();
    }

    /**
     * Where the node listens.
     * @return the address
     */
    public NodeAddress address() {
        return this.definition.connection().address();
    }

    /**
     * The node as configured.
     * @return the definition
     */
    public NodeDefinition definition() {
        return this.definition;
    }

    /**
     * The node's pool.
     * @return the pool
     */
    public NodePool pool() {
        return this.pool;
    }

    /**
     * The monitor's verdict now.
     * @return the state
     */
    public NodeState state() {
        return this.state;
    }

    /**
     * The role the node reported at its last good check.
     * @return the role
     */
    public NodeRole role() {
        return this.role;
    }

    /**
     * The timeline the node reported at its last good check.
     * @return the timeline, or 0 when not known
     */
    public long timeline() {
        return this.timeline;
    }

    /**
     * Whether writes go to this node now.
     * @return whether it is the writable primary
     */
    public boolean isWritable() {
        return this.writable;
    }

    /**
     * A snapshot of what the monitor knows.
     * @param primaryLsn the writable primary's last known WAL position, or -1
     * @return the snapshot
     */
    NodeHealth health(long primaryLsn) {
        long lag = this.lagNanos;
        Long lagBytes = null;
        if (this.role == NodeRole.REPLICA && primaryLsn >= 0 && this.lsn >= 0) {
            lagBytes = Math.max(0, primaryLsn - this.lsn);
        }
        long latency = this.latencyNanos;
        return new NodeHealth(name(), address(), this.state, this.role, this.writable, this.stale, this.timeline,
                (this.role == NodeRole.REPLICA && lag >= 0) ? Duration.ofNanos(lag) : null, lagBytes,
                (latency >= 0) ? Duration.ofNanos(latency) : null, this.failures, this.lastChecked, this.lastError,
                this.serverVersion);
    }

    /** Tags of the node, from its definition. */
    Set<String> tags() {
        return this.definition.tags();
    }

    /**
     * Runs one check on the monitor's own connection, opening it when needed; only the monitor thread calls this.
     * @param timeout the most the connect and the query may take
     * @return the outcome
     */
    NodeCheck probe(Duration timeout) {
        try {
            Connection connection = this.checkConnection;
            if (connection == null) {
                connection = this.pool.openConnection(timeout);
                this.checkConnection = connection;
            }
            connection.setNetworkTimeout(SAME_THREAD, (int) Math.max(1, timeout.toMillis()));
            long start = System.nanoTime();
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery(this.checkSql)) {
                result.next();
                boolean inRecovery = result.getBoolean(1);
                String version = result.getString(2);
                long checkpointTimeline = result.getLong(3);
                long walTimeline = NodeCheck.timelineOfWalFile(result.getString(4));
                long position = NodeCheck.parseLsn(result.getString(5));
                long roundTrip = System.nanoTime() - start;
                return new NodeCheck(true, NodeRole.fromRecovery(inRecovery),
                        Math.max(checkpointTimeline, walTimeline), position, roundTrip, version, null);
            }
        }
        catch (SQLException ex) {
            closeCheckConnection();
            if ("42501".equals(ex.getSQLState()) && this.checkSql == CHECK_SQL) {
                logger.info("The user of node {} may not call pg_control_checkpoint(); timelines of replicas "
                        + "are not checked", name());
                this.checkSql = CHECK_SQL_WITHOUT_CONTROL;
                return probe(timeout);
            }
            return NodeCheck.failed(describe(ex));
        }
        catch (RuntimeException ex) {
            closeCheckConnection();
            return NodeCheck.failed(ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    private static String describe(SQLException ex) {
        String state = ex.getSQLState();
        return (state != null ? "[" + state + "] " : "") + ex.getMessage();
    }

    void closeCheckConnection() {
        Connection connection = this.checkConnection;
        this.checkConnection = null;
        if (connection != null) {
            try {
                connection.abort(SAME_THREAD);
            }
            catch (SQLException | RuntimeException ex) {
                logger.debug("Could not close the check connection of {}", name(), ex);
            }
        }
    }

    /** Folds a good check into the smoothed latency. */
    void recordLatency(long roundTripNanos) {
        long previous = this.latencyNanos;
        this.latencyNanos = (previous < 0) ? roundTripNanos
                : (long) (LATENCY_SMOOTHING * roundTripNanos + (1 - LATENCY_SMOOTHING) * previous);
    }

    @Override
    public String toString() {
        return "ClusterNode[" + name() + ", " + this.state.label() + ", " + this.role.label() + "]";
    }

}
