package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlStates;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether a transaction committed after the connection was lost while {@code COMMIT} was in flight.
 *
 * <p>Inside the transaction, just before {@code COMMIT} is sent, {@link #record(Connection)} notes the id the
 * server gave the transaction ({@code pg_current_xact_id_if_assigned()}; a transaction that wrote nothing has none
 * and needs no check) and which server that is. After the failure, {@link #check} asks the current primary on
 * another connection for {@code pg_xact_status} of that id:
 * <ul>
 * <li>{@code committed}: the work is done and must not run again;
 * <li>{@code aborted}: nothing was applied, and the work may run again;
 * <li>{@code in progress}: the server has not noticed the lost connection yet; the session that still holds the
 * transaction is ended with {@code pg_terminate_backend}, which settles it either way, and the status is asked
 * again;
 * <li>anything else, or no answer in time: the outcome is unknown.
 * </ul>
 *
 * <p>Transaction ids are only meaningful on the server and timeline that assigned them. After a failover the new
 * primary continues from the last id it replayed and hands out ids the old primary may already have used for
 * transactions that never reached it; a server that crashed hands out again the ids of transactions whose WAL
 * was lost with it. So each side names its server by the server's own answer (address and port as the server
 * sees them, the timeline it writes on, and when it started), and when the answering
 * server is not the one the transaction ran on, {@code committed} proves nothing and the outcome is unknown;
 * {@code aborted}, or an id the server has not reached yet, still means the transaction is not part of its
 * history.
 *
 * <p>The whole check, connection included, is bounded by the timeout: it runs on a helper thread that is
 * abandoned when the time is up, so a data source that waits for a primary cannot hold the caller longer.
 */
public final class CommitOutcomeCheck {

    private static final Logger logger = LoggerFactory.getLogger(CommitOutcomeCheck.class);

    /** Names the server; on a standby there is no WAL position to read the timeline from. */
    private static final String SERVER_COLUMNS = "host(inet_server_addr()), current_setting('port'), "
            + "case when pg_is_in_recovery() then null else substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) end, "
            + "pg_postmaster_start_time()::text";

    private static final String RECORD_SQL = "select pg_current_xact_id_if_assigned()::text, " + SERVER_COLUMNS;

    private static final String SERVER_SQL = "select null, " + SERVER_COLUMNS;

    private static final String STATUS_SQL = "select pg_xact_status(?::xid8)";

    private static final String TERMINATE_SQL = "select pg_terminate_backend(pid) from pg_stat_activity "
            + "where backend_xid::text = ? and pid <> pg_backend_pid()";

    private static final long PAUSE_MILLIS = 20;

    /** The timeline a standby is given in a server's name: it writes on none. */
    private static final String STANDBY = "none (a standby)";

    /** Time for the helper thread to hand back an answer found just at the deadline. */
    private static final long GRACE_MILLIS = 200;

    private final DataSource primary;

    private final Duration timeout;

    /**
     * Creates a check.
     * @param primary connections to the current primary
     * @param timeout how long a check may take, connecting included
     */
    public CommitOutcomeCheck(DataSource primary, Duration timeout) {
        this.primary = Objects.requireNonNull(primary, "primary");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Notes the id of the transaction open on a connection and the server it runs on, just before its commit.
     * The query cannot fail on a healthy connection, so it cannot spoil the transaction.
     * @param connection the transaction's connection
     * @return the transaction, or {@code null} when it has not written anything
     * @throws SQLException when the server cannot be asked
     */
    public static @Nullable WrittenTransaction record(Connection connection) throws SQLException {
        // prepared, so that the driver soon keeps it prepared on the server for the connection's next commits
        try (PreparedStatement statement = connection.prepareStatement(RECORD_SQL);
                ResultSet result = statement.executeQuery()) {
            result.next();
            String id = result.getString(1);
            return (id != null) ? new WrittenTransaction(Long.parseUnsignedLong(id), server(result)) : null;
        }
    }

    private static String identify(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(SERVER_SQL)) {
            result.next();
            return server(result);
        }
    }

    private static String server(ResultSet result) throws SQLException {
        String address = result.getString(2);
        String walFile = result.getString(4);
        String timeline = (walFile != null) ? Long.toString(Long.parseLong(walFile, 16)) : STANDBY;
        return ((address != null) ? address : "local socket") + ":" + result.getString(3) + " (timeline " + timeline
                + ", started " + result.getString(5) + ")";
    }

    /**
     * Asks the current primary what became of a transaction, within the timeout.
     * @param transaction the transaction from {@link #record(Connection)}
     * @return the outcome
     */
    public Outcome check(WrittenTransaction transaction) {
        Future<Outcome> answer;
        try {
            answer = Helpers.EXECUTOR.submit(() -> settle(transaction));
        }
        catch (RejectedExecutionException ex) {
            return Outcome.unknown("no thread was available to ask the primary");
        }
        try {
            return answer.get(this.timeout.toMillis() + GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            answer.cancel(true);
            return Outcome.unknown("the primary could not be asked within " + this.timeout.toMillis() + " ms");
        }
        catch (ExecutionException ex) {
            return Outcome.unknown("the check failed (" + describe(ex.getCause()) + ")");
        }
        catch (InterruptedException ex) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            return Outcome.unknown("interrupted while asking the primary");
        }
    }

    private Outcome settle(WrittenTransaction transaction) {
        long deadline = System.nanoTime() + this.timeout.toNanos();
        String lastProblem = "no answer";
        boolean terminated = false;
        while (true) {
            try (Connection connection = this.primary.getConnection()) {
                // the caller stops waiting at the deadline: neither this thread nor the connection may outlive it
                connection.setNetworkTimeout(Runnable::run,
                        (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                String answering = identify(connection);
                if (answering.contains(STANDBY)) {
                    // a standby's history may lag: even "aborted" or an id it never reached proves nothing
                    lastProblem = "the server asked, " + answering + ", is a standby";
                }
                else {
                    boolean sameServer = transaction.server().equals(answering);
                    String status = status(connection, transaction.id());
                    if ("in progress".equals(status) && sameServer) {
                        if (!terminated) {
                            terminated = true;
                            terminate(connection, transaction.id());
                        }
                        lastProblem = "the transaction was still in progress";
                    }
                    else if ("aborted".equals(status)) {
                        return Outcome.aborted();
                    }
                    else if ("committed".equals(status) && sameServer) {
                        return Outcome.committed();
                    }
                    else if (!sameServer) {
                        return Outcome.unknown("it ran on " + transaction.server() + ", but writes moved to "
                                + answering + " before the outcome could be asked, which reports the id as " + status);
                    }
                    else {
                        return Outcome.unknown("the primary reports the transaction as " + status);
                    }
                }
            }
            catch (SQLException | RuntimeException ex) {
                if (isFutureTransaction(ex)) {
                    // the answering server never reached the id: the transaction is not in its history
                    return Outcome.aborted();
                }
                lastProblem = "the primary could not be asked (" + describe(ex) + ")";
            }
            if (System.nanoTime() - deadline >= 0) {
                return Outcome.unknown(lastProblem + " within " + this.timeout.toMillis() + " ms");
            }
            if (!pause()) {
                return Outcome.unknown("interrupted while asking the primary");
            }
        }
    }

    private static boolean pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(PAUSE_MILLIS);
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static @Nullable String status(Connection connection, long transactionId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(STATUS_SQL)) {
            statement.setString(1, Long.toUnsignedString(transactionId));
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getString(1);
            }
        }
    }

    private static void terminate(Connection connection, long transactionId) {
        // backend_xid is the 32-bit id; the 64-bit one adds the epoch in its high half
        String xid = Long.toUnsignedString(transactionId & 0xFFFF_FFFFL);
        try (PreparedStatement statement = connection.prepareStatement(TERMINATE_SQL)) {
            statement.setString(1, xid);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    logger.info("Ended the session still holding transaction {}, whose client lost its connection "
                            + "during COMMIT, so its outcome is settled", Long.toUnsignedString(transactionId));
                }
            }
        }
        catch (SQLException ex) {
            logger.debug("Could not end the session holding transaction {}: {}",
                    Long.toUnsignedString(transactionId), describe(ex));
        }
    }

    private static boolean isFutureTransaction(Throwable ex) {
        // pg_xact_status raises 22023 for an id beyond the server's next one
        return "22023".equals(SqlStates.of(ex));
    }

    private static String describe(Throwable ex) {
        String state = SqlStates.of(ex);
        return ex.getClass().getSimpleName() + ((state != null) ? ", SQLSTATE " + state : "");
    }

    /**
     * A transaction that wrote, as noted just before its commit.
     *
     * @param id the 64-bit transaction id
     * @param server the server it ran on, as the server describes itself
     */
    public record WrittenTransaction(long id, String server) {

        public WrittenTransaction {
            Objects.requireNonNull(server, "server");
        }

    }

    /** The daemon threads checks run on; created when the first check is needed. */
    private static final class Helpers {

        static final ExecutorService EXECUTOR = Executors.newCachedThreadPool((task) -> {
            Thread thread = new Thread(task, "nexs-postgres-commit-check");
            thread.setDaemon(true);
            return thread;
        });

    }

    /**
     * What became of a transaction.
     *
     * @param status committed, aborted or unknown
     * @param reason for an unknown outcome, why
     */
    public record Outcome(Status status, @Nullable String reason) {

        private static final Outcome COMMITTED = new Outcome(Status.COMMITTED, null);

        private static final Outcome ABORTED = new Outcome(Status.ABORTED, null);

        static Outcome committed() {
            return COMMITTED;
        }

        static Outcome aborted() {
            return ABORTED;
        }

        static Outcome unknown(String reason) {
            return new Outcome(Status.UNKNOWN, reason);
        }

    }

    /** The possible outcomes. */
    public enum Status {

        /** The transaction committed: do not run it again. */
        COMMITTED,

        /** The transaction did not commit: it may run again. */
        ABORTED,

        /** Nobody can tell. */
        UNKNOWN

    }

}
