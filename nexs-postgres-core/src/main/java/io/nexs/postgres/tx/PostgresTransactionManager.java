package io.nexs.postgres.tx;

import java.lang.reflect.UndeclaredThrowableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.util.Locale;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.tx.CommitOutcomeCheck.Outcome;
import io.nexs.postgres.tx.CommitOutcomeCheck.Status;
import io.nexs.postgres.tx.CommitOutcomeCheck.WrittenTransaction;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.ConnectionProxy;
import org.springframework.jdbc.datasource.JdbcTransactionObjectSupport;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.CallbackPreferringPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionCallback;

/**
 * Spring's JDBC transaction manager for PostgreSQL, which settles a commit whose connection was lost instead of
 * reporting a failure that may be wrong: the transaction is recorded before {@code COMMIT}, and when the answer
 * does not arrive {@link CommitOutcomeCheck} asks the primary what became of it. It translates with
 * nexs-postgres's SQLSTATE translation, which keeps data out of messages.
 *
 * <p>What the caller sees when the connection is lost during {@code COMMIT}:
 * <ul>
 * <li>committed: the commit returns normally, and {@code afterCommit} callbacks run;</li>
 * <li>did not commit: a {@link TransactionSystemException} that says so; the work took no effect, so it may be run
 * again;</li>
 * <li>not known: {@link CommitOutcomeUnknownException}, which is not transient. Through
 * {@code @Transactional} and {@code TransactionTemplate} it arrives as it is; a caller of {@link #commit} gets it
 * as the cause of a {@link TransactionSystemException}, the type Spring lets a commit throw, so that Spring tells
 * synchronizations the outcome is unknown and does not roll back on the lost connection.</li>
 * </ul>
 * A commit that returned with a warning and may have waited for synchronous standbys is checked the same way
 * before it counts as a commit. Read-only transactions and transactions that never used their connection commit
 * as usual: they wrote nothing.
 *
 * <p>The commit is settled after Spring ran the {@code beforeCommit} callbacks, which may still write, and before
 * {@code afterCommit} and {@code afterCompletion}: a commit found committed returns normally, so those callbacks
 * and the transaction listeners see a commit.
 */
public class PostgresTransactionManager extends JdbcTransactionManager
        implements CallbackPreferringPlatformTransactionManager {

    /** How {@link LazyConnectionDataSourceProxy} describes a connection that has not fetched its target yet. */
    private static final String UNUSED_LAZY_CONNECTION = "Lazy Connection proxy for target DataSource";

    private final transient SqlErrors errors;

    private final transient CommitOutcomeCheck commitCheck;

    private final transient Retrier retrier;

    /**
     * The unknown outcome of this thread's last commit, with its transaction, until that transaction is cleaned up;
     * a transaction that completion callbacks begin meanwhile is not affected.
     */
    private final transient ThreadLocal<UnknownCommit> unknown = new ThreadLocal<>();

    /**
     * Creates the transaction manager.
     * @param dataSource the data source transactions are bound to
     * @param errors the SQLSTATE translation
     * @param commitCheck how a commit whose connection was lost is settled, asking the primary
     * @param retrier whether commits are checked ({@link RetrySettings#verifyCommit()}), and the statistics that
     * count settled and unknown commits
     */
    public PostgresTransactionManager(DataSource dataSource, SqlErrors errors, CommitOutcomeCheck commitCheck,
            Retrier retrier) {
        super(dataSource);
        this.errors = errors;
        this.commitCheck = commitCheck;
        this.retrier = retrier;
    }

    /**
     * Runs a callback in a transaction as {@code TransactionTemplate} and {@code @Transactional} do, rolling back
     * when it throws, and lets a {@link CommitOutcomeUnknownException} reach the caller as it is.
     */
    @Override
    public <T> @Nullable T execute(@Nullable TransactionDefinition definition, TransactionCallback<T> callback) {
        TransactionStatus status = getTransaction(definition);
        T result;
        try {
            result = callback.doInTransaction(status);
        }
        catch (RuntimeException | Error ex) {
            rollbackAfter(status, ex);
            throw ex;
        }
        catch (Throwable ex) {
            rollbackAfter(status, ex);
            throw new UndeclaredThrowableException(ex, "The transaction callback threw a checked exception");
        }
        try {
            commit(status);
        }
        catch (OutcomeUnknown ex) {
            throw ex.outcome;
        }
        return result;
    }

    /** Rolls back after the callback failed; a failing rollback is what the caller gets, with the cause attached. */
    private void rollbackAfter(TransactionStatus status, Throwable failure) {
        if (status.isCompleted()) {
            return;
        }
        try {
            rollback(status);
        }
        catch (TransactionSystemException ex) {
            ex.initApplicationException(failure);
            throw ex;
        }
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        try {
            commitOrSettle(status);
        }
        catch (OutcomeUnknown ex) {
            this.unknown.set(new UnknownCommit(status.getTransaction(), ex));
            throw ex;
        }
    }

    /**
     * Refuses to roll back a transaction whose commit outcome is unknown (when Spring is set to roll back after a
     * failed commit): the rollback's failure on the lost connection would hide that it may have committed.
     */
    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        UnknownCommit unknownCommit = this.unknown.get();
        if (unknownCommit != null && unknownCommit.transaction() == status.getTransaction()) {
            throw unknownCommit.outcome();
        }
        super.doRollback(status);
    }

    @Override
    protected void doCleanupAfterCompletion(Object transaction) {
        UnknownCommit unknownCommit = this.unknown.get();
        if (unknownCommit != null && unknownCommit.transaction() == transaction) {
            this.unknown.remove();
        }
        super.doCleanupAfterCompletion(transaction);
    }

    private void commitOrSettle(DefaultTransactionStatus status) {
        Connection connection = ((JdbcTransactionObjectSupport) status.getTransaction()).getConnectionHolder()
            .getConnection();
        boolean verify = this.retrier.settings().verifyCommit();
        if (status.isReadOnly() || neverUsed(connection)) {
            // nothing written, nothing to lose
            super.doCommit(status);
            return;
        }
        WrittenTransaction written = null;
        if (verify) {
            try {
                written = CommitOutcomeCheck.record(connection);
            }
            catch (SQLException ex) {
                // COMMIT was not sent: the transaction cannot commit
                throw translateException("JDBC commit", ex);
            }
        }
        forgetWarnings(connection);
        try {
            super.doCommit(status);
        }
        catch (TransactionSystemException ex) {
            if (!TransientErrors.isConnectionLoss(ex)) {
                throw ex;
            }
            settle(written, verify, ex);
            return;
        }
        confirmDurable(connection, written);
    }

    /**
     * Refuses to report a commit as plain success when it returned with a warning and may not be on the
     * synchronous standbys: the server answers a cancelled wait for them with a warning and success, though the
     * transaction committed only on the primary. Reading the warnings is local; the outcome check runs only when
     * there is one and the commit may have waited for standbys.
     */
    private void confirmDurable(Connection connection, @Nullable WrittenTransaction written) {
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
            throw new OutcomeUnknown(new CommitOutcomeUnknownException("COMMIT returned with the server's "
                    + "warning that it stopped waiting for synchronous replication: the transaction committed on "
                    + "the primary but may not be on the synchronous standbys, so it may be lost with the "
                    + "primary. It was not run again", -1, warning));
        }
        Outcome outcome = this.commitCheck.check(written);
        if (outcome.status() == Status.COMMITTED) {
            return;
        }
        this.retrier.commitUnknown();
        String reason = (outcome.status() == Status.UNKNOWN) ? outcome.reason() : "the primary reports it aborted";
        throw new OutcomeUnknown(new CommitOutcomeUnknownException("COMMIT of transaction "
                + Long.toUnsignedString(written.id()) + " returned with a warning (SQLSTATE " + warning.getSQLState()
                + "), and whether it is committed as synchronous_commit promises is unknown: " + reason
                + ". It was not run again", written.id(), warning));
    }

    /** Returns when the lost commit committed, else throws what the caller must see. */
    private void settle(@Nullable WrittenTransaction written, boolean verify, TransactionSystemException lost) {
        if (!verify) {
            this.retrier.commitUnknown();
            throw new OutcomeUnknown(new CommitOutcomeUnknownException("The connection was lost during COMMIT, "
                    + "and the outcome check is off (nexs.postgres.retry.verify-commit): the transaction may or "
                    + "may not have committed", -1, lost.getCause()));
        }
        if (written == null) {
            // it wrote nothing, so running it again cannot apply anything twice
            throw lost;
        }
        Outcome outcome = this.commitCheck.check(written);
        switch (outcome.status()) {
            case COMMITTED -> this.retrier.commitVerified();
            case ABORTED -> throw new TransactionSystemException("The connection was lost during COMMIT of "
                    + "transaction " + Long.toUnsignedString(written.id()) + ", and the primary reports it did not "
                    + "commit: it took no effect", lost.getCause());
            default -> {
                this.retrier.commitUnknown();
                throw new OutcomeUnknown(new CommitOutcomeUnknownException("The connection was lost during COMMIT "
                        + "of transaction " + Long.toUnsignedString(written.id()) + ", and its outcome is unknown: "
                        + outcome.reason() + ". It may have committed, so it was not run again", written.id(),
                        lost.getCause()));
            }
        }
    }

    /**
     * Translates with nexs-postgres's translation. A commit or rollback that lost its connection is reported as
     * a {@link TransactionSystemException}, so Spring does not try to roll back on the dead connection and log
     * the failure of that attempt as an error.
     */
    @Override
    protected RuntimeException translateException(String task, SQLException ex) {
        RuntimeException translated = this.errors.translate(task, null, ex, null);
        if (TransientErrors.isConnectionLoss(translated)) {
            return new TransactionSystemException(task + " failed: the connection was lost", translated);
        }
        return translated;
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

    /**
     * Whether a transaction's connection is a lazy one whose physical connection was never fetched: no statement
     * ran, and asking for the transaction id would only borrow a connection to learn there is none.
     */
    private static boolean neverUsed(Connection connection) {
        return connection instanceof ConnectionProxy && connection.toString().startsWith(UNUSED_LAZY_CONNECTION);
    }

    /** A transaction whose commit outcome is unknown, and that outcome. */
    private record UnknownCommit(Object transaction, OutcomeUnknown outcome) {
    }

    /**
     * Carries a {@link CommitOutcomeUnknownException} out of the commit as the transaction exception Spring
     * expects there, so it neither tries to roll back on the lost connection nor reports a rollback: Spring tells
     * synchronizations the outcome is unknown.
     */
    static final class OutcomeUnknown extends TransactionSystemException {

        private final transient CommitOutcomeUnknownException outcome;

        OutcomeUnknown(CommitOutcomeUnknownException outcome) {
            super(outcome.getMessage(), outcome);
            this.outcome = outcome;
        }

        CommitOutcomeUnknownException outcome() {
            return this.outcome;
        }

    }

}
