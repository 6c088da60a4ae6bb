package io.nexs.postgres.tx;

import java.lang.reflect.UndeclaredThrowableException;
import java.util.function.Consumer;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.hook.HookManager;
import org.jspecify.annotations.Nullable;

import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs transaction callbacks: begins, commits or rolls back through a Spring transaction manager, retries the
 * whole callback after a transient failure when it began the transaction, and settles a commit whose connection
 * was lost with {@link CommitOutcomeCheck}. Internal: the execution path owns one.
 */
public final class TransactionRunner {

    private final DataSource dataSource;

    private final TransactionManager transactionManager;

    private final Retrier retrier;

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
        this.transactionManager = new TransactionManager(dataSource, errors, commitCheck, retrier);
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
            // a commit whose connection was lost is settled by the connection (CommitSettlingDataSource) or, over a
            // data source that does not settle, by PostgresTransactionManager.doCommit
            this.transactionManager.commit(status);
        }
        catch (PostgresTransactionManager.OutcomeUnknown ex) {
            throw ex.outcome();
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
     * The transaction manager that settles lost commits, noting on the thread which transaction's commit went
     * through, so a failure after it (an {@code afterCommit} callback) is never retried.
     */
    private final class TransactionManager extends PostgresTransactionManager {

        TransactionManager(DataSource dataSource, SqlErrors errors, CommitOutcomeCheck commitCheck,
                Retrier retrier) {
            super(dataSource, errors, commitCheck, retrier);
        }

        @Override
        protected void doCommit(DefaultTransactionStatus status) {
            super.doCommit(status);
            TransactionRunner.this.committed.set(status.getTransaction());
        }

        @Override
        public @Nullable String toString() {
            return "PostgresTemplate transaction manager";
        }

    }

}
