package io.nexs.postgres.execution;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import javax.sql.DataSource;

import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.Operation;
import io.nexs.postgres.hook.SqlText;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.query.ObjectRowMapper;
import io.nexs.postgres.query.ObjectRowMapper.RowReader;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.RowMappingException;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.CommitOutcomeCheck.Outcome;
import io.nexs.postgres.tx.CommitOutcomeCheck.WrittenTransaction;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransactionRunner;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The one path every operation takes: it chooses the node through its {@link NodeRouting}, borrows and releases
 * the connection, calls the hooks, retries what may be retried, translates failures by SQLSTATE and tells the
 * observation (a hook). The public templates delegate to it; COPY and transactions run through it too.
 *
 * <p>Internal: not part of the API, and it may change in any release. Thread-safe.
 */
public final class OperationRunner {

    /** The SQLSTATE of a statement that refuses to run inside a transaction block. */
    private static final String NOT_IN_TRANSACTION_BLOCK = "25001";

    private final DataSource dataSource;

    /** Where statements that change data go outside a transaction. */
    private final DataSource writes;

    /** Where queries go outside a transaction. */
    private final DataSource reads;

    private final NodeRouting routing;

    private final RowMappers rowMappers;

    private final int fetchSize;

    private final SqlErrors errors;

    private final HookManager hooks;

    private final Retrier retrier;

    private final TransactionRunner transactions;

    private final CommitOutcomeCheck commitCheck;

    /**
     * Creates the path.
     * @param dataSource the data source transactions are bound to, which must route by itself
     * @param routing where work outside a transaction goes, and what is known of the node behind a connection
     * @param rowMappers the row mappers, shared by the templates of an application
     * @param fetchSize rows per round trip of a stream
     * @param hooks the hooks to call around every operation
     * @param retrier how transient failures are retried; lost commits are checked on the routing's writes
     */
    public OperationRunner(DataSource dataSource, NodeRouting routing, RowMappers rowMappers, int fetchSize,
            HookManager hooks, Retrier retrier) {
        if (fetchSize < 1) {
            throw new IllegalArgumentException("The fetch size must be at least 1, not " + fetchSize);
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.routing = Objects.requireNonNull(routing, "routing");
        this.writes = Objects.requireNonNull(routing.writes(), "writes");
        this.reads = Objects.requireNonNull(routing.reads(), "reads");
        this.rowMappers = Objects.requireNonNull(rowMappers, "rowMappers");
        this.fetchSize = fetchSize;
        this.hooks = Objects.requireNonNull(hooks, "hooks");
        this.retrier = Objects.requireNonNull(retrier, "retrier");
        this.errors = new SqlErrors();
        this.commitCheck = new CommitOutcomeCheck(this.writes, retrier.settings().verifyCommitTimeout());
        this.transactions = new TransactionRunner(dataSource, this.errors, hooks, retrier, this.commitCheck,
                this::exec);
    }

    /**
     * A path with the same settings and another routing, sharing nothing but the settings.
     * @param routing the routing
     * @return the new path
     */
    public OperationRunner withRouting(NodeRouting routing) {
        return new OperationRunner(this.dataSource, routing, this.rowMappers, this.fetchSize, this.hooks,
                this.retrier);
    }

    /**
     * The hooks this path calls.
     * @return the hook manager
     */
    public HookManager hooks() {
        return this.hooks;
    }

    /**
     * How this path retries, with its statistics.
     * @return the retrier
     */
    public Retrier retrier() {
        return this.retrier;
    }

    /**
     * The row mappers this path maps to classes with.
     * @return the row mappers
     */
    public RowMappers rowMappers() {
        return this.rowMappers;
    }

    /**
     * The SQLSTATE translation of this path.
     * @return the translation
     */
    public SqlErrors errors() {
        return this.errors;
    }

    /**
     * Runs a statement that changes data and returns its count.
     * @param sql the statement
     * @param args its parameters
     * @return the rows affected
     */
    public int exec(String sql, Object... args) {
        return run(Operation.EXEC, "exec", sql, args, false, false, PreparedStatement::executeUpdate);
    }

    /**
     * Sends a notification.
     * @param channel the channel
     * @param payload the payload
     */
    public void notify(String channel, String payload) {
        NotificationListenerContainer.validateChannel(channel);
        NotificationListenerContainer.validatePayload(payload);
        // pg_current_xact_id gives the transaction its id now rather than inside COMMIT, so that a commit whose
        // answer is lost can be looked up like any transaction that wrote
        run(Operation.EXEC, "notify", "select pg_notify(?, ?), pg_current_xact_id()", new Object[] { channel, payload },
                false, false, PreparedStatement::execute);
    }

    /**
     * Runs a callback in a transaction, on the routing's read preference when it has one.
     * @param definition propagation, isolation, read-only flag and timeout
     * @param deferrable whether to make a new transaction deferrable first
     * @param callback the work
     * @param <T> the result type
     * @return what the callback returned
     */
    public <T> T inTransaction(TransactionDefinition definition, boolean deferrable, TransactionCallback<T> callback) {
        ReadPreference preference = this.routing.transactionReadPreference();
        if (preference == null) {
            return this.transactions.run(definition, deferrable, callback);
        }
        return RoutingDataSource.withReadPreference(preference,
                () -> this.transactions.run(definition, deferrable, callback));
    }

    /** Runs a query and maps every row to a class. See {@code PostgresOperations}. */
    public <T> List<T> queryAll(Class<T> type, String sql, Object... args) {
        ObjectRowMapper<T> mapper = this.rowMappers.forType(type);
        return run(Operation.QUERY, "queryAll", sql, args, false, true, (statement) -> {
            try (ResultSet rs = statement.executeQuery()) {
                return mapper.readAll(rs);
            }
        });
    }

    /** Runs a query and maps every row with a mapper. See {@code PostgresOperations}. */
    public <T> List<T> queryAll(String sql, RowMapper<T> mapper, Object... args) {
        return run(Operation.QUERY, "queryAll", sql, args, false, true, (statement) -> {
            try (ResultSet rs = statement.executeQuery()) {
                List<T> rows = new ArrayList<>();
                int rowNum = 0;
                while (rs.next()) {
                    rows.add(mapper.mapRow(rs, rowNum++));
                }
                return rows;
            }
        });
    }

    /** Runs a query that returns at most one row, mapped to a class. See {@code PostgresOperations}. */
    public <T> Optional<T> queryOne(Class<T> type, String sql, Object... args) {
        ObjectRowMapper<T> mapper = this.rowMappers.forType(type);
        return single(sql, args, mapper::reader);
    }

    /** Runs a query that returns at most one row, mapped with a mapper. See {@code PostgresOperations}. */
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
        return single(sql, args, (rs) -> (row) -> mapper.mapRow(row, 0));
    }

    private <T> Optional<T> single(String sql, @Nullable Object[] args, ReaderFactory<T> readers) {
        return run(Operation.QUERY, "queryOne", sql, args, true, true, (statement) -> {
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                T row = readers.reader(rs).read(rs);
                requireLastRow(rs);
                return Optional.ofNullable(row);
            }
        });
    }

    private static void requireLastRow(ResultSet rs) throws SQLException {
        if (rs.next()) {
            throw new IncorrectResultSizeDataAccessException(
                    "queryOne expects at most one row, but the query returned more", 1, 2);
        }
    }

    /** Runs a query that returns one number. See {@code PostgresOperations}. */
    public long queryCount(String sql, Object... args) {
        ObjectRowMapper<Long> mapper = this.rowMappers.forType(Long.class);
        return run(Operation.QUERY, "queryCount", sql, args, true, true, (statement) -> {
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    throw new IncorrectResultSizeDataAccessException(
                            "queryCount expects exactly one row, but the query returned none", 1, 0);
                }
                // The row mapper rejects fractions and text without quoting the value, as getLong would not.
                Long count = mapper.reader(rs).read(rs);
                if (count == null) {
                    throw new RowMappingException("queryCount expects a number, but column \""
                            + rs.getMetaData().getColumnLabel(1) + "\" ("
                            + rs.getMetaData().getColumnTypeName(1) + ") is NULL");
                }
                requireLastRow(rs);
                return count;
            }
        });
    }

    /** Runs one statement with many parameter sets in one batch. See {@code PostgresOperations}. */
    public int[] batch(String sql, Iterable<?> parameterSets) {
        Objects.requireNonNull(parameterSets, "parameterSets");
        if (!retrying()) {
            return batchOnce(sql, parameterSets, 1, false);
        }
        // Only a batch that never reached the server runs again: its parameter sets are then still unread.
        return this.retrier.run("batch", (attempt) -> batchOnce(sql, parameterSets, attempt, true));
    }

    private int[] batchOnce(String sql, Iterable<?> parameterSets, int attempt, boolean retried) {
        Connection connection = connection(false, null);
        PreparedStatement statement = null;
        StatementParameters current = null;
        String firstSql = null;
        HookContext hook = null;
        boolean began = false;
        Settling settling = null;
        // Kept only to take the values out of an error message; the driver holds them until execution anyway.
        List<@Nullable Object[]> sent = new ArrayList<>();
        try {
            for (Object set : parameterSets) {
                current = StatementParameters.ofSet(sql, set);
                sent.add(current.values());
                if (statement != null && !current.sql().equals(firstSql)) {
                    throw new InvalidDataAccessApiUsageException("Parameter set " + sent.size() + " of the batch "
                            + "expands to different SQL than the first (a collection of another size?): every "
                            + "set of a batch must give the same statement");
                }
                if (statement == null) {
                    firstSql = current.sql();
                    hook = this.hooks.start(Operation.BATCH, "batch", firstSql, current.values().length,
                            current.values());
                    if (hook != null) {
                        before(hook, connection, attempt);
                        began = true;
                    }
                    // With named parameters the SQL depends on the values (a collection expands to a list), so
                    // the first set decides it for all.
                    statement = connection.prepareStatement(current.sql());
                    DataSourceUtils.applyTransactionTimeout(statement, this.dataSource);
                }
                current.bind(statement);
                statement.addBatch();
            }
            int[] counts;
            if (statement == null) {
                counts = new int[0];
            }
            else {
                // one statement is all or nothing on its own: only a batch of several needs a transaction
                settling = new Settling(connection.getAutoCommit(), true, sent.size() > 1);
                PreparedStatement batch = statement;
                // the driver empties a batch once it was sent: it cannot be sent again on its own
                counts = settle(connection, settling, false, batch::executeBatch);
            }
            if (began) {
                this.hooks.after(hook, rowsOf(counts), null);
            }
            return counts;
        }
        catch (SQLException ex) {
            RuntimeException failure = failure("batch", (current != null) ? current.sql() : sql, ex, sent.toArray(),
                    statement);
            failure = afterSent("batch", failure, settling, connection);
            if (began) {
                this.hooks.after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            // Not even a batch settled as not applied runs again: its parameter sets may be an iterable that is read
            // only once. The caller, told it is transient, may send it again.
            throw retried ? Retrier.doNotRetry(failure) : failure;
        }
        catch (RuntimeException ex) {
            if (began) {
                this.hooks.after(hook, HookContext.UNKNOWN_ROWS, ex);
            }
            throw retried ? Retrier.doNotRetry(ex) : ex;
        }
        catch (Error ex) {
            // the driver's own assertions, for one: the hooks still hear of the end of the operation
            if (began) {
                this.hooks.after(hook, HookContext.UNKNOWN_ROWS, ex);
            }
            throw ex;
        }
        finally {
            JdbcUtils.closeStatement(statement);
            DataSourceUtils.releaseConnection(connection, this.dataSource);
        }
    }


    /**
     * Sends the statements of a pipeline in one round trip.
     * @param statements the statements, in order
     * @return the count of each statement
     */
    public int[] pipeline(List<StatementParameters> statements) {
        if (statements.isEmpty()) {
            return new int[0];
        }
        StringBuilder sql = new StringBuilder();
        List<@Nullable Object> values = new ArrayList<>();
        for (StatementParameters statement : statements) {
            if (sql.length() > 0) {
                // On a line of its own, so a statement ending in a -- comment does not swallow it.
                sql.append("\n;\n");
            }
            sql.append(statement.sql());
            values.addAll(java.util.Arrays.asList(statement.values()));
        }
        // PgJDBC sends the statements of one multi-statement string as separate extended-protocol messages in one
        // round trip, but ends them with a Sync of its own, which commits under auto-commit, whenever the answers it
        // has not read may pass 64 kB: so the pipeline runs as one transaction (see settle).
        StatementParameters parameters = StatementParameters.of(sql.toString(), values.toArray());
        return runAtomic(Operation.EXEC, "pipeline", parameters, statements.size() > 1, (statement) -> {
            int[] counts = new int[statements.size()];
            int index = 0;
            boolean isResultSet = statement.execute();
            while (true) {
                int count;
                if (isResultSet) {
                    count = 0;
                    try (ResultSet rs = statement.getResultSet()) {
                        while (rs.next()) {
                            count++;
                        }
                    }
                }
                else {
                    count = statement.getUpdateCount();
                    if (count == -1) {
                        break;
                    }
                }
                if (index < counts.length) {
                    counts[index] = count;
                }
                index++;
                isResultSet = statement.getMoreResults();
            }
            return counts;
        });
    }


    /** Streams a query's rows through a cursor, mapped to a class. See {@code PostgresOperations}. */
    public <T> Stream<T> stream(Class<T> type, String sql, Object... args) {
        ObjectRowMapper<T> mapper = this.rowMappers.forType(type);
        return openStream(sql, args, mapper::reader);
    }

    /** Streams a query's rows through a cursor, mapped with a mapper. See {@code PostgresOperations}. */
    public <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object... args) {
        return openStream(sql, args, (rs) -> {
            int[] rowNum = { 0 };
            return (row) -> mapper.mapRow(row, rowNum[0]++);
        });
    }

    /** Streams a query's rows to an action. See {@code PostgresOperations}. */
    public <T> long forEach(Class<T> type, String sql, Consumer<? super T> action, Object... args) {
        long[] count = { 0 };
        try (Stream<T> rows = stream(type, sql, args)) {
            rows.forEach((row) -> {
                action.accept(row);
                count[0]++;
            });
        }
        return count[0];
    }

    private <T> Stream<T> openStream(String sql, @Nullable Object[] args, ReaderFactory<T> readers) {
        StatementParameters parameters = StatementParameters.of(sql, args);
        if (!this.retrier.isEnabled() || TransactionSynchronizationManager.isActualTransactionActive()) {
            return openStream(parameters, readers, 1);
        }
        // Only the opening is retried: once rows are handed out, running the query again would repeat them.
        return this.retrier.run("stream", (attempt) -> openStream(parameters, readers, attempt));
    }

    private <T> Stream<T> openStream(StatementParameters parameters, ReaderFactory<T> readers, int attempt) {
        CursorQuery cursor = new CursorQuery(this, parameters,
                this.hooks.start(Operation.QUERY, "stream", parameters.sql(), parameters.values().length,
                        parameters.values()));
        try {
            ResultSet rs = cursor.open(attempt);
            RowReader<T> reader = readers.reader(rs);
            Spliterator<T> rows = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED) {
                @Override
                public boolean tryAdvance(Consumer<? super T> action) {
                    try {
                        if (!rs.next()) {
                            return false;
                        }
                        T row = reader.read(rs);
                        cursor.rows++;
                        action.accept(row);
                        return true;
                    }
                    catch (SQLException ex) {
                        RuntimeException failure = failure("stream", parameters.sql(), ex, parameters.values(),
                                cursor.statement);
                        cursor.failure = failure;
                        throw failure;
                    }
                    catch (RuntimeException ex) {
                        cursor.failure = ex;
                        throw ex;
                    }
                }
            };
            return StreamSupport.stream(rows, false).onClose(cursor::close);
        }
        catch (SQLException ex) {
            RuntimeException failure = failure("stream", parameters.sql(), ex, parameters.values(),
                    cursor.statement);
            cursor.failure = failure;
            closeAfterFailure(cursor, failure);
            throw failure;
        }
        catch (RuntimeException | Error ex) {
            cursor.failure = ex;
            closeAfterFailure(cursor, ex);
            throw ex;
        }
    }

    /** Closing a stream whose connection broke fails too; that must not hide why it broke. */
    private static void closeAfterFailure(CursorQuery cursor, Throwable failure) {
        try {
            cursor.close();
        }
        catch (RuntimeException ex) {
            failure.addSuppressed(ex);
        }
    }


    /**
     * A connection for one call: the transaction's when one is bound to the thread, otherwise a new one from the
     * reads or the writes data source. Released with {@link DataSourceUtils#releaseConnection}, which closes it
     * unless it is the transaction's.
     */
    public Connection connection(boolean read, @Nullable HookContext hook) {
        try {
            return connection(read);
        }
        catch (RuntimeException ex) {
            if (hook != null) {
                // the operation could not start: its after and error hooks still hear of it
                this.hooks.after(hook, HookContext.UNKNOWN_ROWS, ex);
            }
            throw ex;
        }
    }

    private Connection connection(boolean read) {
        if (this.reads == this.dataSource && this.writes == this.dataSource) {
            try {
                return DataSourceUtils.getConnection(this.dataSource);
            }
            catch (CannotGetJdbcConnectionException ex) {
                throw notConnected(read, ex);
            }
        }
        // Join only a transaction of this data source; a SUPPORTS scope or another resource's transaction binds
        // nothing here, and its read-only flag still sends the call to a reader.
        if (TransactionSynchronizationManager.getResource(this.dataSource) != null
                || TransactionSynchronizationManager.isActualTransactionActive()) {
            return DataSourceUtils.getConnection(this.dataSource);
        }
        DataSource direct = (read || TransactionSynchronizationManager.isCurrentTransactionReadOnly()) ? this.reads
                : this.writes;
        try {
            return direct.getConnection();
        }
        catch (SQLException ex) {
            throw notConnected(read, failure(read ? "read connection" : "write connection", null, ex, null, null));
        }
    }

    /**
     * A connection that could not be had because the server was not reached (refused, lost during start-up, or
     * none free in the pool in time) means nothing was sent: transient, whatever the SQLSTATE's translation says.
     */
    private static RuntimeException notConnected(boolean read, RuntimeException failure) {
        if (failure instanceof TransientDataAccessException || !(TransientErrors.isConnectionLoss(failure)
                || failure.getCause() instanceof SQLTransientConnectionException)) {
            return failure;
        }
        return new TransientDataAccessResourceException("No " + (read ? "read" : "write") + " connection could be "
                + "had, so nothing was sent: the work may be retried", failure);
    }

    /**
     * Turns a driver failure into the exception the caller sees: translated by SQLSTATE, then described by the
     * routing, which may know that the node is failing over.
     * @param task the operation, for example {@code queryAll}
     * @param sql the statement
     * @param ex the driver's failure
     * @param values the bound values, kept out of the message
     * @param statement the statement it happened on, if one was created
     * @return the exception to throw
     */
    public RuntimeException failure(String task, @Nullable String sql, SQLException ex,
            @Nullable Object @Nullable [] values, @Nullable Statement statement) {
        RuntimeException translated = this.errors.translate(task, sql, ex, values);
        return (statement != null) ? this.routing.describeFailure(task, ex, statement, translated) : translated;
    }

    /**
     * Reports a failure met on the driver's own connection, below the pool's proxies (as {@code COPY} uses it), to
     * the node's pool, which tells the topology when the connection was lost; failures met through the pool's
     * proxies reach it on their own.
     * @param connection the connection of this path the failure was met on
     * @param ex the driver's failure
     */
    public void connectionFailed(Connection connection, SQLException ex) {
        if (!SqlStates.isConnectionLoss(SqlStates.of(ex))) {
            return;
        }
        ClusterNode node = node(connection);
        if (node != null) {
            node.pool().reportFailure(ex);
        }
    }

    /**
     * The node behind a connection, for hooks and for telling whether a lost query may run again.
     * @param connection a connection of this path
     * @return the node, or {@code null} when the routing does not know the nodes
     */
    public @Nullable ClusterNode node(Connection connection) {
        return this.routing.nodeOf(connection);
    }

    /**
     * Tells the hooks that an operation starts on a connection.
     * @param hook the operation's hook context
     * @param connection its connection
     * @param attempt the attempt, from 1
     */
    public void before(HookContext hook, Connection connection, int attempt) {
        ClusterNode node = node(connection);
        this.hooks.before(hook, (node != null) ? node.name() : null, (node != null) ? node.role() : null, attempt);
    }

    /**
     * The data source transactions are bound to.
     * @return the data source
     */
    public DataSource dataSource() {
        return this.dataSource;
    }

    DataSource reads() {
        return this.reads;
    }

    int fetchSize() {
        return this.fetchSize;
    }

    /**
     * The transactions of this path.
     * @return the transaction runner
     */
    public TransactionRunner transactions() {
        return this.transactions;
    }

    /**
     * Releases a connection of this path: closes it unless it is a transaction's.
     * @param connection the connection
     */
    public void release(@Nullable Connection connection) {
        DataSourceUtils.releaseConnection(connection, this.dataSource);
    }

    /**
     * Whether a call made now may be retried: retries are on, and no transaction is open on the thread, whose
     * owner alone can run it again.
     */
    public boolean retrying() {
        return this.retrier.isEnabled() && !TransactionSynchronizationManager.isActualTransactionActive()
                && TransactionSynchronizationManager.getResource(this.dataSource) == null;
    }

    /**
     * Runs one statement: borrows a connection, tells the hooks, retries when the call may be retried, translates
     * failures and releases the connection.
     * @param operation the kind of operation, for hooks
     * @param task the name of the call, for messages and hooks
     * @param sql the statement
     * @param args its parameters
     * @param singleRow whether at most two rows need be fetched
     * @param read whether the statement only reads, so it may go to a reader outside a transaction
     * @param work what to do with the prepared statement
     * @param <R> the result type
     * @return the result
     */
    public <R> R run(Operation operation, String task, String sql, @Nullable Object[] args, boolean singleRow,
            boolean read, StatementWork<R> work) {
        StatementParameters parameters = StatementParameters.of(sql, args);
        if (!retrying()) {
            return execute(operation, task, parameters, singleRow, read, false, work, 1, false);
        }
        return this.retrier.run(task, (attempt) -> execute(operation, task, parameters, singleRow, read, false, work,
                attempt, true));
    }

    /** Runs a write that, when {@code atomic}, holds several statements that must apply all or nothing. */
    private <R> R runAtomic(Operation operation, String task, StatementParameters parameters, boolean atomic,
            StatementWork<R> work) {
        if (!retrying()) {
            return execute(operation, task, parameters, false, false, atomic, work, 1, false);
        }
        return this.retrier.run(task, (attempt) -> execute(operation, task, parameters, false, false, atomic, work,
                attempt, true));
    }

    private <R> R execute(Operation operation, String task, StatementParameters parameters, boolean singleRow,
            boolean read, boolean atomic, StatementWork<R> work, int attempt, boolean retried) {
        HookContext hook = this.hooks.start(operation, task, parameters.sql(), parameters.values().length,
                parameters.values());
        Connection connection = connection(read, hook);
        PreparedStatement statement = null;
        boolean began = false;
        Settling settling = null;
        try {
            if (hook != null) {
                before(hook, connection, attempt);
                began = true;
            }
            statement = connection.prepareStatement(parameters.sql());
            DataSourceUtils.applyTransactionTimeout(statement, this.dataSource);
            if (singleRow) {
                // The server stops after two rows, enough to tell "one" from "more than one".
                statement.setMaxRows(2);
            }
            parameters.bind(statement);
            boolean autoCommit = connection.getAutoCommit();
            // a query is settled only when it may write (insert ... returning, a function's side effects); the text
            // is looked at only when settling is on
            settling = new Settling(autoCommit, !read || (autoCommit && settles()
                    && !readOnly(parameters.sql(), connection)), atomic);
            PreparedStatement sending = statement;
            R result = settle(connection, settling, true, () -> work.run(sending));
            if (began) {
                this.hooks.after(hook, rowsOf(result), null);
            }
            return result;
        }
        catch (SQLException ex) {
            RuntimeException failure = failure(task, parameters.sql(), ex, parameters.values(), statement);
            boolean sent = settling != null;
            if (sent && read) {
                settling.mayWrite = !readOnly(parameters.sql(), connection);
            }
            failure = afterSent(task, failure, settling, connection);
            if (began) {
                this.hooks.after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            // A statement whose connection was lost after it was sent may have been applied: it is sent again only
            // when it cannot have written (see readOnly), or when its settled outcome proves it was not applied. An
            // error the server answered with means it rolled the statement back.
            throw (retried && sent && TransientErrors.isConnectionLoss(failure) && settling.mayWrite
                    && !settling.notApplied) ? Retrier.doNotRetry(failure) : failure;
        }
        catch (RuntimeException | Error ex) {
            if (began) {
                this.hooks.after(hook, HookContext.UNKNOWN_ROWS, ex);
            }
            throw ex;
        }
        finally {
            JdbcUtils.closeStatement(statement);
            DataSourceUtils.releaseConnection(connection, this.dataSource);
        }
    }

    /**
     * Sends a statement. Under auto-commit, with {@code nexs.postgres.retry.settle-auto-commit-writes} on, a
     * statement that may write runs as a short explicit transaction instead (PgJDBC sends the {@code BEGIN} with the
     * statement), its transaction id is recorded, and then it commits, so that a lost {@code COMMIT} is settled by
     * {@link CommitOutcomeCheck} like a transaction's: returns when it committed, throws with the outcome in
     * {@code settling} otherwise. A batch or a pipeline runs as such a transaction under auto-commit even when
     * writes are not settled (then without recording its transaction id, and a lost {@code COMMIT} leaves its
     * outcome unknown): PgJDBC would otherwise split it into several implicit transactions, one per Sync it sends
     * when the answers it has not read may pass 64 kB, and a failure late in it would leave the start committed.
     */
    private <R> R settle(Connection connection, Settling settling, boolean resendable, Sending<R> sending)
            throws SQLException {
        boolean settles = settles();
        if (!settling.autoCommit || !settling.mayWrite || !(settles || settling.atomic)) {
            return sending.send();
        }
        WrittenTransaction written;
        R result;
        connection.setAutoCommit(false);
        try {
            try {
                result = sending.send();
                written = settles ? CommitOutcomeCheck.record(connection) : null;
            }
            catch (SQLException | RuntimeException ex) {
                // COMMIT was not sent, so nothing was applied: a lost connection rolls the transaction back too
                settling.notApplied = true;
                rollback(connection, ex);
                if (resendable && ex instanceof SQLException sql
                        && NOT_IN_TRANSACTION_BLOCK.equals(sql.getSQLState())) {
                    // VACUUM, CREATE INDEX CONCURRENTLY and the like refuse a transaction: send it as it was
                    connection.setAutoCommit(true);
                    settling.notApplied = false;
                    settling.settled = false;
                    return sending.send();
                }
                throw ex;
            }
            catch (Error ex) {
                // roll back before auto-commit is restored, which would commit the part already sent
                rollback(connection, ex);
                throw ex;
            }
            settling.settled = true;
            try {
                connection.commit();
                return result;
            }
            catch (SQLException ex) {
                if (!SqlStates.isConnectionLoss(ex.getSQLState())) {
                    // the server answered COMMIT with an error, a deferred constraint for one: it rolled back
                    settling.notApplied = true;
                    throw ex;
                }
                if (!settles) {
                    // not settled: the outcome is unknown
                    throw ex;
                }
                if (written == null) {
                    // it wrote nothing, so nothing can be applied twice
                    settling.notApplied = true;
                    throw ex;
                }
                Outcome outcome = this.commitCheck.check(written);
                switch (outcome.status()) {
                    case COMMITTED -> {
                        this.retrier.commitVerified();
                        return result;
                    }
                    case ABORTED -> {
                        settling.notApplied = true;
                        throw ex;
                    }
                    default -> {
                        this.retrier.commitUnknown();
                        settling.transactionId = written.id();
                        settling.reason = outcome.reason();
                        throw ex;
                    }
                }
            }
        }
        finally {
            restoreAutoCommit(connection);
        }
    }

    /** Whether auto-commit writes are settled: asked for, and the commit check they rely on is on. */
    private boolean settles() {
        RetrySettings settings = this.retrier.settings();
        return settings.settleAutoCommitWrites() && settings.verifyCommit();
    }

    private static void rollback(Connection connection, Throwable failure) {
        try {
            connection.rollback();
        }
        catch (SQLException ex) {
            // a lost connection: the server rolls back on its own
            if (!SqlStates.isConnectionLoss(ex.getSQLState())) {
                failure.addSuppressed(ex);
            }
        }
    }

    private static void restoreAutoCommit(Connection connection) {
        try {
            if (!connection.isClosed() && !connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
        }
        catch (SQLException ex) {
            // a broken connection, which the pool evicts; a live one gets auto-commit back from the pool anyway
        }
    }

    /**
     * What the caller is told of a statement that failed after it was sent. Under auto-commit a lost connection
     * leaves unknown whether a statement that may write was applied: that is an {@link OutcomeUnknownException},
     * never a transient failure that a retry keyed on Spring's {@code TransientDataAccessException} would send
     * again. A write settled as not applied is transient whatever the SQLSTATE's translation says.
     */
    private RuntimeException afterSent(String task, RuntimeException failure, @Nullable Settling settling,
            Connection connection) {
        if (settling == null || !settling.autoCommit || !TransientErrors.isConnectionLoss(failure)) {
            return failure;
        }
        if (settling.notApplied) {
            if (failure instanceof TransientDataAccessException) {
                return failure;
            }
            return new TransientDataAccessResourceException(task + " lost its connection" + where(connection)
                    + (settling.settled ? " during the COMMIT of its auto-commit write, which the server reports "
                            + "as not applied" : " before its auto-commit write was committed, so it was not "
                            + "applied") + ": it may be retried", failure);
        }
        if (!settling.mayWrite) {
            return failure;
        }
        String outcome = (settling.reason != null)
                ? " The outcome check of transaction " + Long.toUnsignedString(settling.transactionId)
                        + " could not settle it: " + settling.reason + "."
                : "";
        // the routing's description names the failing node, which a cut connection no longer leads to
        String context = (failure instanceof FailoverInProgressException) ? " (" + failure.getMessage() + ")" : "";
        return new OutcomeUnknownException(task + " lost its connection" + where(connection)
                + " after its statement was sent under auto-commit" + context
                + ": the server may or may not have applied it."
                + outcome + " It was not retried, and must not be retried blindly: find out whether it took effect "
                + "first, or make it idempotent", settling.transactionId, failure);
    }

    private String where(Connection connection) {
        ClusterNode node = node(connection);
        return (node != null) ? " to PostgreSQL node " + node.name() : "";
    }

    /**
     * Whether a query lost after it was sent cannot have written anything, so that sending it again cannot apply
     * anything twice: it ran on a standby, which refuses every write, or its text shows it only reads (see
     * {@link SqlText#onlyReads}: a {@code SELECT} calling a function that may write, such as {@code nextval} or
     * one of the application's, does not qualify).
     */
    public boolean readOnly(String sql, Connection connection) {
        if (SqlText.onlyReads(sql)) {
            return true;
        }
        ClusterNode node = node(connection);
        return node != null && node.role() == NodeRole.REPLICA;
    }

    /** The rows a call returned or affected, as hooks see them. */
    private static long rowsOf(@Nullable Object result) {
        if (result instanceof List<?> list) {
            return list.size();
        }
        if (result instanceof Optional<?> optional) {
            return optional.isPresent() ? 1 : 0;
        }
        if (result instanceof Integer count) {
            return count;
        }
        if (result instanceof Long) {
            // queryCount: one row
            return 1;
        }
        if (result instanceof int[] counts) {
            long rows = 0;
            for (int count : counts) {
                if (count < 0) {
                    return HookContext.UNKNOWN_ROWS;
                }
                rows += count;
            }
            return rows;
        }
        return HookContext.UNKNOWN_ROWS;
    }

    /**
     * What a call does with its prepared statement.
     * @param <R> the result type
     */
    @FunctionalInterface
    public interface StatementWork<R> {

        /**
         * Runs the statement and reads its result.
         * @param statement the statement, with its parameters bound
         * @return the result
         * @throws SQLException when the driver fails
         */

        R run(PreparedStatement statement) throws SQLException;

    }

    @FunctionalInterface
    private interface Sending<R> {

        R send() throws SQLException;

    }

    /** What is known of a statement's fate once it was sent. */
    private static final class Settling {

        /** Whether the connection was in auto-commit mode: a transaction's statement is settled by its commit. */
        final boolean autoCommit;

        /** Whether the statement may have written. */
        boolean mayWrite;

        /** Whether it holds several statements that must apply all or nothing: a batch, a pipeline. */
        final boolean atomic;

        /** Whether it ran as a short transaction whose commit was sent. */
        boolean settled;

        /** Whether it is known not to have been applied. */
        boolean notApplied;

        long transactionId = -1;

        @Nullable String reason;

        Settling(boolean autoCommit, boolean mayWrite, boolean atomic) {
            this.autoCommit = autoCommit;
            this.mayWrite = mayWrite;
            this.atomic = atomic;
        }

    }

    @FunctionalInterface
    private interface ReaderFactory<T> {

        RowReader<T> reader(ResultSet rs) throws SQLException;

    }

}
