package io.nexs.postgres.execution;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import javax.sql.DataSource;

import io.nexs.postgres.hook.HookContext;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The connection, statement and result set of one stream. PostgreSQL keeps a cursor open only inside a
 * transaction, and PgJDBC fetches in chunks only when auto-commit is off. Inside a transaction the stream
 * uses the transaction's connection as it is; outside one it takes a connection of its own from the data
 * source (never one bound to the thread, which other calls of the thread may be using) and runs a read-only
 * transaction on it until the stream is closed.
 */
final class CursorQuery {

    private final OperationRunner runner;

    private final StatementParameters parameters;

    private @Nullable Connection connection;

    @Nullable PreparedStatement statement;

    private @Nullable ResultSet resultSet;

    private boolean ownConnection;

    private boolean closed;

    private final @Nullable HookContext hook;

    private boolean began;

    long rows;

    @Nullable Throwable failure;

    CursorQuery(OperationRunner runner, StatementParameters parameters, @Nullable HookContext hook) {
        this.runner = runner;
        this.parameters = parameters;
        this.hook = hook;
    }

    ResultSet open(int attempt) throws SQLException {
        DataSource dataSource = this.runner.dataSource();
        Connection connection;
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            connection = DataSourceUtils.getConnection(dataSource);
            this.connection = connection;
        }
        else {
            try {
                connection = this.runner.reads().getConnection();
            }
            catch (SQLException ex) {
                RuntimeException failure = this.runner.failure("stream", this.parameters.sql(), ex, null, null);
                if (this.hook != null) {
                    this.runner.hooks().after(this.hook, HookContext.UNKNOWN_ROWS, failure);
                }
                this.closed = true;
                throw failure;
            }
            this.connection = connection;
            this.ownConnection = true;
            connection.setReadOnly(true);
            connection.setAutoCommit(false);
        }
        if (this.hook != null) {
            this.runner.before(this.hook, connection, attempt);
            this.began = true;
        }
        PreparedStatement statement = connection.prepareStatement(this.parameters.sql(),
                ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
        this.statement = statement;
        DataSourceUtils.applyTransactionTimeout(statement, dataSource);
        statement.setFetchSize(this.runner.fetchSize());
        this.parameters.bind(statement);
        ResultSet rs = statement.executeQuery();
        this.resultSet = rs;
        return rs;
    }

    void close() {
        if (this.closed) {
            return;
        }
        this.closed = true;
        if (this.began) {
            this.runner.hooks().after(this.hook, this.rows, this.failure);
        }
        SQLException failure = null;
        failure = attempt(failure, this.resultSet, ResultSet::close);
        failure = attempt(failure, this.statement, PreparedStatement::close);
        Connection connection = this.connection;
        if (connection == null) {
            return;
        }
        if (this.ownConnection && isBroken(connection)) {
            // The pool has already given the connection up (the stream failed on it): nothing to undo.
            attempt(null, connection, Connection::close);
            return;
        }
        if (this.ownConnection) {
            // Each step on its own, so a failed rollback still restores the connection before it goes back.
            // The transaction was read-only: rolling it back loses nothing.
            failure = attempt(failure, connection, Connection::rollback);
            failure = attempt(failure, connection, (c) -> c.setAutoCommit(true));
            failure = attempt(failure, connection, (c) -> c.setReadOnly(false));
            failure = attempt(failure, connection, Connection::close);
        }
        else {
            DataSourceUtils.releaseConnection(connection, this.runner.dataSource());
        }
        if (failure != null) {
            throw this.runner.errors().translate("stream close", this.parameters.sql(), failure,
                    this.parameters.values());
        }
    }

    private static boolean isBroken(Connection connection) {
        try {
            return connection.isClosed();
        }
        catch (SQLException ex) {
            return true;
        }
    }

    private static <R> @Nullable SQLException attempt(@Nullable SQLException failure, @Nullable R resource,
            SqlAction<R> action) {
        if (resource == null) {
            return failure;
        }
        try {
            action.run(resource);
            return failure;
        }
        catch (SQLException ex) {
            return (failure != null) ? failure : ex;
        }
    }

    @FunctionalInterface
    private interface SqlAction<R> {

        void run(R resource) throws SQLException;

    }

}
