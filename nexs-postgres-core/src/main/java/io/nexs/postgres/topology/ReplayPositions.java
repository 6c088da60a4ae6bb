package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

/**
 * How far each replica is known to have replayed the WAL, for reads that must see a position: the monitor's last
 * check, or a later answer a reader got by asking the replica itself. A replica's replay only moves forward, so the
 * furthest position seen stands until the node leaves. Thread-safe; nothing blocks.
 */
final class ReplayPositions {

    /** The replica's replay position as a number, {@code null} on a primary. */
    static final String REPLAY_SQL = "select (pg_last_wal_replay_lsn() - '0/0')::bigint";

    private final Map<ClusterNode, AtomicLong> asked = new ConcurrentHashMap<>();

    /**
     * The furthest replay position known for a node.
     * @param node a replica
     * @return the position, or -1 when none is known
     */
    long known(ClusterNode node) {
        long checked = node.snapshot().lsn();
        AtomicLong answer = this.asked.get(node);
        return (answer != null) ? Math.max(checked, answer.get()) : checked;
    }

    /**
     * Whether a node is known to have replayed a position.
     * @param node a replica
     * @param position the position
     * @return whether it has
     */
    boolean hasReplayed(ClusterNode node, long position) {
        return known(node) >= position;
    }

    /**
     * The replica most likely to have replayed a position: the one furthest ahead.
     * @param replicas the replicas allowed to serve the read
     * @return the replica, or {@code null} when there is none
     */
    @Nullable ClusterNode furthest(List<ClusterNode> replicas) {
        ClusterNode best = null;
        long bestPosition = Long.MIN_VALUE;
        for (ClusterNode node : replicas) {
            long position = known(node);
            if (best == null || position > bestPosition) {
                best = node;
                bestPosition = position;
            }
        }
        return best;
    }

    /**
     * Asks a replica how far it has replayed, on a connection borrowed from it, and remembers the answer.
     * @param node the replica
     * @param connection a connection to it
     * @return the position, or -1 when the node is not replaying (it was promoted)
     * @throws SQLException when the query fails
     */
    long ask(ClusterNode node, Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(REPLAY_SQL)) {
            rs.next();
            long position = rs.getLong(1);
            if (rs.wasNull()) {
                return -1;
            }
            this.asked.computeIfAbsent(node, (key) -> new AtomicLong(-1)).accumulateAndGet(position, Math::max);
            return position;
        }
    }

    /**
     * Forgets what readers learnt of a node, which left the topology or now follows another history.
     * @param node the node
     */
    void forget(ClusterNode node) {
        this.asked.remove(node);
    }

}
