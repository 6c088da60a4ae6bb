package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLWarning;
import java.util.Locale;
import java.util.Objects;

import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.tx.CommitOutcomeCheck.Outcome;
import io.nexs.postgres.tx.CommitOutcomeCheck.Status;
import io.nexs.postgres.tx.CommitOutcomeCheck.WrittenTransaction;
import org.jspecify.annotations.Nullable;

/**
 * Commits a transaction that may have written, and settles a commit whose answer was lost: the one place where
 * both the {@link CommitSettlingDataSource}'s connections and {@link PostgresTransactionManager} (over a data source
 * that does not settle) commit.
 *
 * <p>It speaks JDBC, so that every transaction manager above a connection understands it: the commit returns
 * normally when it committed; a {@link SQLTransientConnectionException} (transient in Spring's translation) says
 * it provably did not; a {@link SQLNonTransientConnectionException} whose cause is a
 * {@link CommitOutcomeUnknownException} says nobody can tell. Any other failure is the commit's own.
 */
final class CommitSettlement {

    /** {@code in_failed_sql_transaction}: the transaction is aborted and can only roll back. */
    private static final String IN_FAILED_TRANSACTION = "25P02";

    private final CommitOutcomeCheck check;

    private final Retrier retrier;

    /**
     * Creates the settlement.
     * @param check how a lost commit is settled, asking the primary
     * @param retrier whether commits are checked ({@link RetrySettings#verifyCommit()}), and the statistics that
     * count settled and unknown commits
     */
    CommitSettlement(CommitOutcomeCheck check, Retrier retrier) {
        this.check = Objects.requireNonNull(check, "check");
        this.retrier = Objects.requireNonNull(retrier, "retrier");
    }

    /**
     * Records the transaction open on a connection, commits it, and settles the commit when its answer is lost or
     * it returned with a warning that it may not be on the synchronous standbys.
     * @param connection a connection whose transaction ran work
     * @return whether the commit's answer was lost, so that the connection is dead, though it committed
     * @throws SQLException when it did not commit, or may not have (see the class description)
     */
    boolean commit(Connection connection) throws SQLException {
        boolean verify = this.retrier.settings().verifyCommit();
        WrittenTransaction written = null;
        if (verify) {
            try {
                written = CommitOutcomeCheck.record(connection);
            }
            catch (SQLException ex) {
                if (IN_FAILED_TRANSACTION.equals(ex.getSQLState())) {
                    // an earlier statement failed: the server ends the transaction with a rollback, which the
                    // commit below reports as the driver does, and there is nothing to settle
                    connection.commit();
                    return false;
                }
                // COMMIT was not sent: the transaction cannot commit
                throw SqlStates.isConnectionLoss(ex.getSQLState()) ? new SQLTransientConnectionException(
                        "The connection was lost before COMMIT was sent: the transaction did not commit",
                        ex.getSQLState(), ex) : ex;
            }
        }
        forgetWarnings(connection);
        try {
            connection.commit();
        }
        catch (SQLException ex) {
            if (!SqlStates.isConnectionLoss(ex.getSQLState())) {
                // the server answered: a deferred constraint, for example, rolled it back
                throw ex;
            }
            settle(written, verify, ex);
            return true;
        }
        confirmDurable(connection, written);
        return false;
    }

    /** Returns when the lost commit committed, else throws what the caller must see. */
    private void settle(@Nullable WrittenTransaction written, boolean verify, SQLException lost)
            throws SQLException {
        if (!verify) {
            this.retrier.commitUnknown();
            throw unknown(new CommitOutcomeUnknownException("The connection was lost during COMMIT, and the outcome "
                    + "check is off (nexs.postgres.retry.verify-commit): the transaction may or may not have "
                    + "committed", -1, lost));
        }
        if (written == null) {
            // it wrote nothing, so running it again cannot apply anything twice
            throw new SQLTransientConnectionException("The connection was lost during COMMIT of a transaction that "
                    + "wrote nothing: it may run again", lost.getSQLState(), lost);
        }
        Outcome outcome = this.check.check(written);
        switch (outcome.status()) {
            case COMMITTED -> this.retrier.commitVerified();
            case ABORTED -> throw new SQLTransientConnectionException("The connection was lost during COMMIT of "
                    + "transaction " + Long.toUnsignedString(written.id()) + ", and the primary reports it did not "
                    + "commit: it took no effect", lost.getSQLState(), lost);
            default -> {
                this.retrier.commitUnknown();
                throw unknown(new CommitOutcomeUnknownException("The connection was lost during COMMIT of "
                        + "transaction " + Long.toUnsignedString(written.id()) + ", and its outcome is unknown: "
                        + outcome.reason() + ". It may have committed, so it was not run again", written.id(),
                        lost));
            }
        }
    }

    /**
     * Refuses to report a commit as plain success when it returned with a warning and may not be on the
     * synchronous standbys: the server answers a cancelled wait for them with a warning and success, though the
     * transaction committed only on the primary. Reading the warnings is local; the outcome check runs only when
     * there is one and the commit may have waited for standbys.
     */
    private void confirmDurable(Connection connection, @Nullable WrittenTransaction written) throws SQLException {
        SQLWarning warning = warnings(connection);
        if (warning == null || !isWarning(warning)) {
            // none, or only notices (a deferred trigger's RAISE NOTICE): a cancelled wait is a warning
            return;
        }
        boolean waits = written != null && written.waitsForStandbys();
        if (!waits && !mentionsSynchronousReplication(warning)) {
            // such as a trigger's RAISE WARNING: the commit is what it says
            return;
        }
        if (written == null) {
            this.retrier.commitUnknown();
            throw unknown(new CommitOutcomeUnknownException("COMMIT returned with the server's warning that it "
                    + "stopped waiting for synchronous replication: the transaction committed on the primary but may "
                    + "not be on the synchronous standbys, so it may be lost with the primary. It was not run again",
                    -1, warning));
        }
        Outcome outcome = this.check.check(written);
        if (outcome.status() == Status.COMMITTED) {
            return;
        }
        this.retrier.commitUnknown();
        String reason = (outcome.status() == Status.UNKNOWN) ? outcome.reason() : "the primary reports it aborted";
        throw unknown(new CommitOutcomeUnknownException("COMMIT of transaction " + Long.toUnsignedString(written.id())
                + " returned with a warning (SQLSTATE " + warning.getSQLState() + "), and whether it is committed as "
                + "synchronous_commit promises is unknown: " + reason + ". It was not run again", written.id(),
                warning));
    }

    /**
     * The JDBC form of an unknown outcome: not transient, with no SQLSTATE of its own, so that neither Spring's
     * translation nor a retry that reads SQLSTATEs takes it for a lost connection that may be retried.
     */
    private static SQLException unknown(CommitOutcomeUnknownException outcome) {
        return new SQLNonTransientConnectionException(outcome.getMessage(), null, outcome);
    }

    /**
     * The outcome a failure of {@link #commit(Connection)} reports as unknown, wherever the exception went since.
     * @param failure an exception
     * @return the unknown outcome in its cause chain, or {@code null}
     */
    static @Nullable CommitOutcomeUnknownException unknownOutcome(@Nullable Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < 32; depth++) {
            if (current instanceof CommitOutcomeUnknownException outcome) {
                return outcome;
            }
            current = (current.getCause() != current) ? current.getCause() : null;
        }
        return null;
    }

    /** Drops warnings left on a pooled connection, so that those after COMMIT are the commit's own; local. */
    private static void forgetWarnings(Connection connection) {
        try {
            connection.clearWarnings();
        }
        catch (SQLException ex) {
            // a connection that cannot be asked fails the commit itself
        }
    }

    private static @Nullable SQLWarning warnings(Connection connection) {
        try {
            return connection.getWarnings();
        }
        catch (SQLException ex) {
            return null;
        }
    }

    /** Whether the chain holds a warning proper (SQLSTATE class 01), as a cancelled wait is, not only notices. */
    private static boolean isWarning(SQLWarning first) {
        for (SQLWarning warning = first; warning != null; warning = warning.getNextWarning()) {
            String state = warning.getSQLState();
            if (state == null || state.startsWith("01")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a warning is the server's cancelled wait for synchronous replication. Its text is all that tells it
     * (SQLSTATE 01000 is any warning) and is translated with {@code lc_messages}: this is the fallback when the
     * transaction's settings were not recorded.
     */
    private static boolean mentionsSynchronousReplication(SQLWarning first) {
        for (SQLWarning warning = first; warning != null; warning = warning.getNextWarning()) {
            String text = String.valueOf(warning).toLowerCase(Locale.ROOT);
            if (text.contains("synchronous replication") || text.contains("committed locally")) {
                return true;
            }
        }
        return false;
    }

}
