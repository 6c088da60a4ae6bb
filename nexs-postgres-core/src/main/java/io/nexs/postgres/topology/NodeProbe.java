package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executor;

import io.nexs.postgres.pool.NodePool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check of one node, on a connection of its own outside the pool, so a full or hung pool does not hide the
 * server's health. Only the node's monitor thread (and the first check, before it starts) uses it.
 */
final class NodeProbe {

    private static final Logger logger = LoggerFactory.getLogger(NodeProbe.class);

    /**
     * One round trip that tells the role, the timeline (from the last checkpoint; for a primary also from the WAL
     * file it writes, which changes at once on promotion; for a replica also from the WAL its receiver streams:
     * null when none runs, 0 when the user may not see it), the WAL position (written for a primary, replayed for a
     * replica), the commit time of the last transaction a replica replayed, and the server's clock, both in
     * microseconds since the epoch.
     */
    static final String CHECK_SQL = """
            select pg_is_in_recovery(), current_setting('server_version'),
                   (pg_control_checkpoint()).timeline_id,
                   case when pg_is_in_recovery() then null else pg_walfile_name(pg_current_wal_lsn()) end,
                   (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text,
                   (select coalesce(received_tli, 0) from pg_stat_wal_receiver),
                   (extract(epoch from pg_last_xact_replay_timestamp()) * 1000000)::bigint,
                   (extract(epoch from clock_timestamp()) * 1000000)::bigint""";

    /** The same without {@code pg_control_checkpoint()}, for users not allowed to call it. */
    static final String CHECK_SQL_WITHOUT_CONTROL = CHECK_SQL.replace("(pg_control_checkpoint()).timeline_id", "0");

    private static final Executor SAME_THREAD = Runnable::run;

    private final String name;

    private final NodePool pool;

    private @Nullable Connection connection;

    private String checkSql = CHECK_SQL;

    NodeProbe(String name, NodePool pool) {
        this.name = name;
        this.pool = pool;
    }

    /**
     * Runs one check, opening the connection when needed.
     * @param timeout the most the connect and the query may take
     * @return the outcome
     */
    NodeCheck check(Duration timeout) {
        try {
            Connection connection = this.connection;
            if (connection == null) {
                connection = this.pool.openConnection(timeout);
                this.connection = connection;
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
                long receivedTimeline = result.getLong(6);
                boolean receiving = !result.wasNull();
                long replayedCommit = result.getLong(7);
                if (result.wasNull()) {
                    replayedCommit = NodeCheck.NO_TIME;
                }
                long clock = result.getLong(8);
                long roundTrip = System.nanoTime() - start;
                long timeline = inRecovery ? NodeCheck.replicaTimeline(checkpointTimeline, receivedTimeline, receiving)
                        : Math.max(checkpointTimeline, walTimeline);
                return new NodeCheck(true, NodeRole.fromRecovery(inRecovery), timeline, position, roundTrip, version,
                        null, replayedCommit, clock);
            }
        }
        catch (SQLException ex) {
            close();
            if ("42501".equals(ex.getSQLState()) && this.checkSql == CHECK_SQL) {
                logger.info("The user of node {} may not call pg_control_checkpoint(); the timeline of a replica "
                        + "is then told only from the WAL it streams", this.name);
                this.checkSql = CHECK_SQL_WITHOUT_CONTROL;
                return check(timeout);
            }
            return NodeCheck.failed(describe(ex));
        }
        catch (RuntimeException ex) {
            close();
            return NodeCheck.failed(ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    private static String describe(SQLException ex) {
        String state = ex.getSQLState();
        return (state != null ? "[" + state + "] " : "") + ex.getMessage();
    }

    /** Cuts the check connection without waiting for a server that may not answer. */
    void close() {
        Connection connection = this.connection;
        this.connection = null;
        if (connection != null) {
            try {
                connection.abort(SAME_THREAD);
            }
            catch (SQLException | RuntimeException ex) {
                logger.debug("Could not close the check connection of {}", this.name, ex);
            }
        }
    }

}
