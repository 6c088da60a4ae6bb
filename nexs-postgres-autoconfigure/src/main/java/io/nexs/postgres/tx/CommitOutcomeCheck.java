package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.sql.DataSource;

import io.nexs.postgres.query.SqlStates;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether a transaction committed after the connection was lost while {@code COMMIT} was in flight.
 *
 * <p>Inside the transaction, just before the commit, {@link #transactionId(Connection)} records the id the server
 * gave the transaction ({@code pg_current_xact_id_if_assigned()}; a transaction that wrote nothing has none and
 * needs no check). After the failure, {@link #check} asks the current primary on another connection for
 * {@code pg_xact_status} of that id:
 * <ul>
 * <li>{@code committed}: the work is done and must not run again;
 * <li>{@code aborted}: nothing was applied, and the work may run again;
 * <li>{@code in progress}: the server has not noticed the lost connection yet; the session that still holds the
 * transaction is ended with {@code pg_terminate_backend}, which settles it either way, and the status is asked
 * again;
 * <li>anything else, or no answer in time: the outcome is unknown.
 * </ul>
 *
 * <p>Transaction ids are only meaningful on the server that assigned them. After a failover the new primary
 * continues from the last id it replayed and hands out ids the old primary may already have used for
 * transactions that never reached it. So when the answering node is not the one the transaction ran on (by the
 * identity function given, node and timeline), {@code committed} proves nothing and the outcome is unknown;
 * {@code aborted}, or an id the node has not reached yet, still means the transaction is not part of the new
 * primary's history.
 */
public final class CommitOutcomeCheck {

    private static final Logger logger = LoggerFactory.getLogger(CommitOutcomeCheck.class);

    private static final String TRANSACTION_ID_SQL = "select pg_current_xact_id_if_assigned()::text";

    private static final String STATUS_SQL = "select pg_xact_status(?::xid8)";

    private static final String TERMINATE_SQL = "select pg_terminate_backend(pid) from pg_stat_activity "
            + "where backend_xid::text = ? and pid <> pg_backend_pid()";

    private static final long PAUSE_MILLIS = 20;

    private final DataSource primary;

    private final Duration timeout;

    private final Function<Connection, @Nullable String> identity;

    /**
     * Creates a check.
     * @param primary connections to the current primary
     * @param timeout how long a check may try
     * @param identity names the server behind a connection (for example node and timeline), or returns
     * {@code null} when it cannot tell, which makes every answer trusted
     */
    public CommitOutcomeCheck(DataSource primary, Duration timeout, Function<Connection, @Nullable String> identity) {
        this.primary = Objects.requireNonNull(primary, "primary");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    /**
     * The id of the transaction open on a connection, if it has one.
     * @param connection the transaction's connection
     * @return the 64-bit id, or {@code null} when the transaction has not written anything
     * @throws SQLException when the server cannot be asked
     */
    public static @Nullable Long transactionId(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(TRANSACTION_ID_SQL)) {
            result.next();
            String id = result.getString(1);
            return (id != null) ? Long.parseUnsignedLong(id) : null;
        }
    }

    /**
     * Names the server behind a connection with the identity function.
     * @param connection the connection
     * @return the identity, or {@code null}
     */
    public @Nullable String identify(Connection connection) {
        try {
            return this.identity.apply(connection);
        }
        catch (RuntimeException ex) {
            return null;
        }
    }

    /**
     * Asks the current primary what became of a transaction.
     * @param transactionId the id from {@link #transactionId(Connection)}
     * @param ranOn the identity of the server the transaction ran on, or {@code null} when not known
     * @return the outcome
     */
    public Outcome check(long transactionId, @Nullable String ranOn) {
        long deadline = System.nanoTime() + this.timeout.toNanos();
        String lastProblem = "no answer";
        boolean terminated = false;
        while (true) {
            try (Connection connection = this.primary.getConnection()) {
                String answering = identify(connection);
                boolean sameServer = ranOn == null || answering == null || ranOn.equals(answering);
                String status = status(connection, transactionId);
                if ("in progress".equals(status) && sameServer) {
                    if (!terminated) {
                        terminated = true;
                        terminate(connection, transactionId);
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
                    return Outcome.unknown("writes moved from " + ranOn + " to " + answering + " before the outcome "
                            + "could be asked, and " + answering + " reports the id as " + status);
                }
                else {
                    return Outcome.unknown("the primary reports the transaction as " + status);
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
            try {
                TimeUnit.MILLISECONDS.sleep(PAUSE_MILLIS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return Outcome.unknown("interrupted while asking the primary");
            }
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
