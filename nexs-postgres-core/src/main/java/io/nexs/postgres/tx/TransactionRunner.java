package io.nexs.postgres.tx;

import java.lang.reflect.UndeclaredThrowableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.util.Locale;
import java.util.function.Consumer;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.hook.HookManager;
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
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs transaction callbacks: begins, commits or rolls back through a Spring transaction manager, retries the
 * whole callback after a transient failure when it began the transaction, and settles a commit whose connection
 * was lost with {@link CommitOutcomeCheck}. Internal: the execution path owns one.
 */
public final class TransactionRunner {

    /** How {@link LazyConnectionDataSourceProxy} describes a connection that has not fetched its target yet. */
    private static final String UNUSED_LAZY_CONNECTION = "Lazy Connection proxy for target DataSource";

    private final DataSource dataSource;

    private final TransactionManager transactionManager;

    private final Retrier retrier;

    private final CommitOutcomeCheck commitCheck;

    /** The transaction object whose doCommit just succeeded on this thread. */
    private final ThreadLocal<Object> committed = new ThreadLocal<>();

    /** Whether the transaction being retried on this thread read a source that cannot be read again. */
    private final ThreadLocal<Boolean> unrepeatable = new ThreadLocal<>();

    /** Runs a statement on the transaction's connection through the execution path, so hooks see it. */
    private final Consumer<String> statements;

    /**
     * Creates a runner.
     * @param dataSource the data source transactions are bound to
     * @param errors the SQLSTATE translation
     * @param hooks the hooks told of transactions
     * @param retrier how transient failures are retried
     * @param commitCheck how a commit whose connection was lost is settled
     * @param statements runs a statement inside the transaction, such as {@code set transaction deferrable}
     */
    public TransactionRunner(DataSource dataSource, SqlErrors errors, HookManager hooks, Retrier retrier,
            CommitOutcomeCheck commitCheck, Consumer<String> statements) {
        this.dataSource = dataSource;
        this.statements = statements;
        this.retrier = retrier;
        this.commitCheck = commitCheck;
        this.transactionManager = new TransactionManager(dataSource, errors);
        // Joining a transaction whose isolation or read-only flag differs from the options fails instead of
        // silently running with the outer transaction's.
        this.transactionManager.setValidateExistingTransaction(true);
        if (hooks != HookManager.none()) {
            this.transactionManager.addListener(hooks.transactionListener());
        }
    }

    /**
     * Runs a callback in a transaction, retrying the whole callback when this call began the transaction.
     * @param definition propagation, isolation, read-only flag and timeout
     * @param deferrable whether to make a new transaction deferrable before the callback runs
     * @param callback the work
     * @param <T> the result type
     * @return what the callback returned
     */
    public <T> T run(TransactionDefinition definition, boolean deferrable, TransactionCallback<T> callback) {
        // Work inside a transaction the caller manages is the caller's to retry: only the whole transaction can be.
        boolean joining = TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(this.dataSource) != null;
        if (joining || !this.retrier.isEnabled()) {
            return once(definition, deferrable, callback, false);
        }
        return this.retrier.run("transaction", (attempt) -> {
            this.unrepeatable.remove();
            try {
                return once(definition, deferrable, callback, true);
            }
            catch (RuntimeException ex) {
                throw Boolean.TRUE.equals(this.unrepeatable.get()) ? Retrier.doNotRetry(ex) : ex;
            }
            finally {
                this.unrepeatable.remove();
            }
        });
    }

    /**
     * Marks the transaction of the thread as one that cannot run again: its callback read a source that cannot be
     * read twice (a {@code COPY} from a stream), so running it again would miss what was read. A failure then
     * reaches the caller instead of being retried.
     */
    public void markUnrepeatable() {
        this.unrepeatable.set(Boolean.TRUE);
    }

    /**
     * Runs a callback in a transaction once, for a caller that decides itself whether to run it again: a lost
     * commit is still settled by the outcome check.
     * @param definition propagation, isolation, read-only flag and timeout
     * @param callback the work
     * @param <T> the result type
     * @return what the callback returned
     */
    public <T> T runOnce(TransactionDefinition definition, TransactionCallback<T> callback) {
        return once(definition, false, callback, false);
    }

    private <T> T once(TransactionDefinition definition, boolean deferrable, TransactionCallback<T> callback,
            boolean retried) {
        Object outer = this.committed.get();
        TransactionStatus status = this.transactionManager.getTransaction(definition);
        T result;
        try {
            if (deferrable && status.isNewTransaction()) {
                // Must come before the transaction's first query; PgJDBC has no property for it.
                this.statements.accept("set transaction deferrable");
            }
            result = callback.doInTransaction(status);
        }
        catch (RuntimeException | Error ex) {
            rollbackAfter(status, ex);
            throw ex;
        }
        catch (Throwable ex) {
            // a checked exception thrown past the compiler (Kotlin, sneaky throws) must not leave the transaction open
            rollbackAfter(status, ex);
            throw new UndeclaredThrowableException(ex, "The transaction callback threw a checked exception");
        }
        try {
            // a commit whose connection was lost is settled in TransactionManager.doCommit
            this.transactionManager.commit(status);
        }
        catch (OutcomeUnknown ex) {
            throw ex.outcome;
        }
        catch (RuntimeException ex) {
            if (retried && this.committed.get() == ((DefaultTransactionStatus) status).getTransaction()) {
                // the transaction committed; an afterCommit callback failed: running the work again would repeat it
                throw Retrier.doNotRetry(ex);
            }
            throw ex;
        }
        finally {
            // an afterCommit callback may run a transaction of its own: give the outer one its flag back
            if (outer != null) {
                this.committed.set(outer);
            }
            else {
                this.committed.remove();
            }
        }
        return result;
    }

    /** Rolls back after the callback failed; a failing rollback must not hide why the callback failed. */
    private void rollbackAfter(TransactionStatus status, Throwable failure) {
        if (status.isCompleted()) {
            return;
        }
        try {
            this.transactionManager.rollback(status);
        }
        catch (RuntimeException | Error ex) {
            failure.addSuppressed(ex);
        }
    }

    /**
     * Spring's JDBC transaction manager, translating with nexs-postgres's SQLSTATE translation (which keeps
     * data out of messages), and settling a commit whose connection was lost.
     *
     * <p>The commit is settled here, after Spring ran the {@code beforeCommit} callbacks (which may still write)
     * and before it runs {@code afterCommit} and {@code afterCompletion}: a commit the check finds committed
     * returns normally, so those callbacks and the transaction hooks see a commit. A commit or rollback that lost
     * its connection is reported as a {@link TransactionSystemException}, so Spring does not try to roll back on
     * the dead connection and log the failure of that attempt as an error. A commit that returned with a warning
     * and may have waited for synchronous standbys is checked the same way before it counts as a commit.
     */
    private final class TransactionManager extends JdbcTransactionManager {

        private final transient SqlErrors errors;

        TransactionManager(DataSource dataSource, SqlErrors errors) {
            super(dataSource);
            this.errors = errors;
        }

        @Override
        protected void doCommit(DefaultTransactionStatus status) {
            commitOrSettle(status);
            TransactionRunner.this.committed.set(status.getTransaction());
        }

        private void commitOrSettle(DefaultTransactionStatus status) {
            Connection connection = ((JdbcTransactionObjectSupport) status.getTransaction()).getConnectionHolder()
                .getConnection();
            boolean verify = TransactionRunner.this.retrier.settings().verifyCommit();
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
         * synchronous standbys: the server answers a cancelled wait for them with a warning and success, though
         * the transaction committed only on the primary. Reading the warnings is local; the outcome check runs
         * only when there is one and the commit may have waited for standbys.
         */
        private void confirmDurable(Connection connection, @Nullable WrittenTransaction written) {
            SQLWarning warning = warnings(connection);
            if (warning == null) {
                return;
            }
            boolean waits = written != null && written.waitsForStandbys();
            if (!waits && !mentionsSynchronousReplication(warning)) {
                // such as a trigger's RAISE WARNING: the commit is what it says
                return;
            }
            Retrier retrier = TransactionRunner.this.retrier;
            if (written == null) {
                retrier.commitUnknown();
                throw new OutcomeUnknown(new CommitOutcomeUnknownException("COMMIT returned with the server's "
                        + "warning that it stopped waiting for synchronous replication: the transaction committed on "
                        + "the primary but may not be on the synchronous standbys, so it may be lost with the "
                        + "primary. It was not run again", -1, warning));
            }
            Outcome outcome = TransactionRunner.this.commitCheck.check(written);
            if (outcome.status() == Status.COMMITTED) {
                return;
            }
            retrier.commitUnknown();
            String reason = (outcome.status() == Status.UNKNOWN) ? outcome.reason()
                    : "the primary reports it aborted";
            throw new OutcomeUnknown(new CommitOutcomeUnknownException("COMMIT of transaction "
                    + Long.toUnsignedString(written.id()) + " returned with a warning (SQLSTATE "
                    + warning.getSQLState() + "), and whether it is committed as synchronous_commit promises is "
                    + "unknown: " + reason + ". It was not run again", written.id(), warning));
        }

        /** Returns when the lost commit committed, else throws what the caller must see. */
        private void settle(@Nullable WrittenTransaction written, boolean verify, TransactionSystemException lost) {
            Retrier retrier = TransactionRunner.this.retrier;
            if (!verify) {
                retrier.commitUnknown();
                throw new OutcomeUnknown(new CommitOutcomeUnknownException("The connection was lost during COMMIT, "
                        + "and the outcome check is off (nexs.postgres.retry.verify-commit): the transaction may or "
                        + "may not have committed", -1, lost.getCause()));
            }
            if (written == null) {
                // it wrote nothing, so running it again cannot apply anything twice
                throw lost;
            }
            Outcome outcome = TransactionRunner.this.commitCheck.check(written);
            switch (outcome.status()) {
                case COMMITTED -> retrier.commitVerified();
                case ABORTED -> throw lost;
                default -> {
                    retrier.commitUnknown();
                    throw new OutcomeUnknown(new CommitOutcomeUnknownException("The connection was lost during "
                            + "COMMIT of transaction " + Long.toUnsignedString(written.id()) + ", and its outcome is "
                            + "unknown: " + outcome.reason() + ". It may have committed, so it was not run again",
                            written.id(), lost.getCause()));
                }
            }
        }

        @Override
        protected RuntimeException translateException(String task, SQLException ex) {
            RuntimeException translated = this.errors.translate(task, null, ex, null);
            if (TransientErrors.isConnectionLoss(translated)) {
                return new TransactionSystemException(task + " failed: the connection was lost", translated);
            }
            return translated;
        }

        @Override
        public @Nullable String toString() {
            return "PostgresTemplate transaction manager";
        }

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

    /**
     * Carries a {@link CommitOutcomeUnknownException} out of the commit as the transaction exception Spring
     * expects there, so it neither tries to roll back on the lost connection nor reports a rollback.
     */
    private static final class OutcomeUnknown extends TransactionSystemException {

        private final transient CommitOutcomeUnknownException outcome;

        OutcomeUnknown(CommitOutcomeUnknownException outcome) {
            super(outcome.getMessage(), outcome);
            this.outcome = outcome;
        }

    }

}
