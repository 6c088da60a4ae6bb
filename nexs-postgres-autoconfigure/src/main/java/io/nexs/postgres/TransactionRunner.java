package io.nexs.postgres;

import java.lang.reflect.UndeclaredThrowableException;
import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.CommitOutcomeCheck.Outcome;
import io.nexs.postgres.tx.CommitOutcomeUnknownException;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs the callbacks of {@link PostgresOperations#inTransaction}: begins, commits or rolls back through a Spring
 * transaction manager, retries the whole callback after a transient failure when it began the transaction, and
 * settles a commit whose connection was lost with {@link CommitOutcomeCheck}.
 */
final class TransactionRunner {

    private final DataSource dataSource;

    private final TransactionManager transactionManager;

    private final Retrier retrier;

    private final CommitOutcomeCheck commitCheck;

    TransactionRunner(DataSource dataSource, SqlErrors errors, HookManager hooks, Retrier retrier,
            CommitOutcomeCheck commitCheck) {
        this.dataSource = dataSource;
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

    <T> T run(PostgresTemplate operations, TransactionOptions options, TransactionCallback<T> callback) {
        DefaultTransactionDefinition definition = new DefaultTransactionDefinition(options.savepoint()
                ? TransactionDefinition.PROPAGATION_NESTED : TransactionDefinition.PROPAGATION_REQUIRED);
        definition.setIsolationLevel(options.isolation().value());
        definition.setReadOnly(options.readOnly());
        if (options.timeout() != null) {
            definition.setTimeout((int) Math.max(1, (options.timeout().toMillis() + 999) / 1000));
        }
        // Work inside a transaction the caller manages is the caller's to retry: only the whole transaction can be.
        boolean joining = TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(this.dataSource) != null;
        if (joining || !this.retrier.isEnabled()) {
            return once(operations, definition, options, callback);
        }
        return this.retrier.run("transaction", (attempt) -> once(operations, definition, options, callback));
    }

    private <T> T once(PostgresTemplate operations, TransactionDefinition definition, TransactionOptions options,
            TransactionCallback<T> callback) {
        TransactionStatus status = this.transactionManager.getTransaction(definition);
        T result;
        try {
            if (options.deferrable() && status.isNewTransaction() && options.readOnly()
                    && options.isolation() == Isolation.SERIALIZABLE) {
                // Must come before the transaction's first query; PgJDBC has no property for it.
                operations.exec("set transaction deferrable");
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
        if (!status.isNewTransaction() || status.isRollbackOnly() || options.readOnly()) {
            // joined (the owner commits), rolling back anyway, or nothing to lose
            this.transactionManager.commit(status);
            return result;
        }
        boolean verify = this.retrier.settings().verifyCommit();
        Long transactionId = null;
        String ranOn = null;
        if (verify) {
            Connection connection = null;
            try {
                connection = DataSourceUtils.getConnection(this.dataSource);
                transactionId = CommitOutcomeCheck.transactionId(connection);
                ranOn = (transactionId != null) ? this.commitCheck.identify(connection) : null;
            }
            catch (SQLException | RuntimeException ex) {
                RuntimeException failure = (ex instanceof SQLException sql)
                        ? operations.failure("transaction", null, sql, null, null) : (RuntimeException) ex;
                // COMMIT was not sent: the transaction did not commit
                rollbackAfter(status, failure);
                throw failure;
            }
            finally {
                // the transaction's own connection: releasing it only balances the lookup
                DataSourceUtils.releaseConnection(connection, this.dataSource);
            }
        }
        try {
            this.transactionManager.commit(status);
            return result;
        }
        catch (RuntimeException ex) {
            if (!TransientErrors.isConnectionLoss(ex)) {
                // the server answered: the transaction rolled back
                throw ex;
            }
            if (verify && transactionId == null) {
                // it wrote nothing, so running it again cannot apply anything twice
                throw ex;
            }
            if (!verify) {
                this.retrier.commitUnknown();
                throw new CommitOutcomeUnknownException("The connection was lost during COMMIT, and the outcome "
                        + "check is off (nexs.postgres.retry.verify-commit): the transaction may or may not have "
                        + "committed", -1, ex);
            }
            Outcome outcome = this.commitCheck.check(transactionId, ranOn);
            switch (outcome.status()) {
                case COMMITTED -> {
                    this.retrier.commitVerified();
                    return result;
                }
                case ABORTED -> throw ex;
                default -> {
                    this.retrier.commitUnknown();
                    throw new CommitOutcomeUnknownException("The connection was lost during COMMIT of transaction "
                            + Long.toUnsignedString(transactionId) + ", and its outcome is unknown: "
                            + outcome.reason() + ". It may or may not have committed, so it was not run again",
                            transactionId, ex);
                }
            }
        }
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
     * data out of messages). A commit or rollback that lost its connection is reported as a
     * {@link TransactionSystemException}, so Spring does not try to roll back on the dead connection and log
     * the failure of that attempt as an error.
     */
    private static final class TransactionManager extends JdbcTransactionManager {

        private final transient SqlErrors errors;

        TransactionManager(DataSource dataSource, SqlErrors errors) {
            super(dataSource);
            this.errors = errors;
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

}
