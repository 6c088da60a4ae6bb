package io.nexs.postgres.copy;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.execution.OperationRunner;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.Operation;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.DefaultTransactionDefinition;

/**
 * One {@code COPY} statement on the execution path: its connection, its hooks and the translation of its
 * failures, shared by the loads and the reads of the copy package.
 */
final class CopyExecution {

    /** A new read-write transaction with the server's default isolation. */
    static final TransactionDefinition WRITE = new DefaultTransactionDefinition();

    private final OperationRunner runner;

    private final SqlErrors errors;

    CopyExecution(OperationRunner runner) {
        this.runner = runner;
        this.errors = runner.errors();
    }

    OperationRunner runner() {
        return this.runner;
    }

    /**
     * Runs one {@code COPY} on the connection of the transaction bound to the thread, between the {@code COPY}
     * hooks.
     */
    long sendInTransaction(CopyStatement statement, CopyWork work, CopyAttempt state, int attemptNumber,
            long firstRow) {
        String task = (statement.format == null) ? "copyIn"
                : "copyIn " + statement.format.kind().name().toLowerCase(Locale.ROOT);
        HookContext hook = this.runner.hooks().start(Operation.COPY, "copyIn", statement.sql, 0, null);
        if (hook != null && state.bufferBytes > 0) {
            // what the metrics count as buffered while the COPY runs
            hook.attributes().put(HookContext.COPY_BUFFER_BYTES, state.bufferBytes);
        }
        Connection connection = this.runner.connection(false, hook);
        boolean began = false;
        state.copy = null;
        state.bytes = 0;
        try {
            if (hook != null) {
                this.runner.before(hook, connection, attemptNumber);
                began = true;
            }
            long rows = work.send(connection, state);
            if (began) {
                hook.attributes().put(HookContext.COPY_BYTES, state.bytes);
                this.runner.hooks().after(hook, rows, null);
            }
            return rows;
        }
        catch (SQLException ex) {
            RuntimeException failure = translate(task, statement.sql, ex, firstRow, statement.format != null,
                    connection);
            cancel(state.copy, failure);
            if (began) {
                this.runner.hooks().after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            throw failure;
        }
        catch (RuntimeException | Error ex) {
            cancel(state.copy, ex);
            if (began) {
                this.runner.hooks().after(hook, HookContext.UNKNOWN_ROWS, ex);
            }
            throw ex;
        }
        finally {
            this.runner.release(connection);
        }
    }

    /**
     * Translates a failure of a {@code COPY}, which runs on the driver's own connection: the pool does not see it,
     * so a lost connection is reported to the node from here.
     */
    RuntimeException translate(String task, String sql, SQLException ex, long firstRow, boolean lines,
            Connection connection) {
        if (ex instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
            return this.errors.translateCopy(task, sql, ex, firstRow, lines);
        }
        this.runner.connectionFailed(connection, ex);
        // no answer from the server: a lost connection, which the routing may describe as a failover
        return this.runner.failure(task, sql, ex, null, null);
    }

    /** Ends a {@code COPY} that failed on the client's side, so the server rolls back what it received. */
    static void cancel(@Nullable CopyIn copy, Throwable failure) {
        if (copy == null || !copy.isActive()) {
            return;
        }
        try {
            copy.cancelCopy();
        }
        catch (SQLException ex) {
            // the server's answer to the cancellation, or a connection that is gone: the COPY is over either way
            if (!"57014".equals(ex.getSQLState())) {
                failure.addSuppressed(new SQLException("Cancelling the COPY failed", ex.getSQLState()));
            }
        }
    }

    static CopyIn copyIn(Connection connection, String sql) throws SQLException {
        return connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    }

    boolean inTransaction() {
        return TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(this.runner.dataSource()) != null;
    }
}
