package io.nexs.postgres.tx;

import java.lang.reflect.UndeclaredThrowableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlErrors;
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
 * as usual: they wrote nothing. Over a {@link CommitSettlingDataSource} (the routed data source of a
 * {@code DefaultPostgresProvider}) the connection settles its commit itself, and the transaction is recorded once.
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

    private final transient CommitSettlement settlement;

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
        this.settlement = new CommitSettlement(commitCheck, retrier);
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
        if (status.isReadOnly() || neverUsed(connection) || CommitSettlingDataSource.settles(connection)) {
            // nothing written, nothing to lose; or the connection settles its commit itself, recorded once
            super.doCommit(status);
            return;
        }
        try {
            this.settlement.commit(connection);
        }
        catch (SQLException ex) {
            throw translateException("JDBC commit", ex);
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
        if (translated instanceof CommitOutcomeUnknownException outcome) {
            return new OutcomeUnknown(outcome);
        }
        if (TransientErrors.isConnectionLoss(translated)) {
            // a settled commit that did not commit says so
            String what = (ex instanceof SQLTransientConnectionException) ? ex.getMessage() : "the connection was lost";
            return new TransactionSystemException(task + " failed: " + what, translated);
        }
        return translated;
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
