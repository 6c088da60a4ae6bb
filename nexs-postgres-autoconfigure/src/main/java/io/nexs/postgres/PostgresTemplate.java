package io.nexs.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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

import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.query.ObjectRowMapper;
import io.nexs.postgres.query.ObjectRowMapper.RowReader;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.RowMappingException;
import io.nexs.postgres.query.UnmappedColumns;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link PostgresOperations} over a {@link DataSource}: the pool of one node, or any data source the
 * application gives it. Connections come from Spring's {@link DataSourceUtils}, so a transaction bound to the
 * thread by {@code @Transactional} or {@link #inTransaction(TransactionOptions, TransactionCallback)} is joined.
 * Thread-safe; create one per data source and share it.
 */
public class PostgresTemplate implements PostgresOperations {

    /** Rows per round trip of a stream, when none is configured. */
    public static final int DEFAULT_FETCH_SIZE = 1000;

    private final DataSource dataSource;

    /** Where statements that change data go outside a transaction. */
    private final DataSource writes;

    /** Where queries go outside a transaction. */
    private final DataSource reads;

    private final RowMappers rowMappers;

    private final int fetchSize;

    private final JdbcTransactionManager transactionManager;

    private final SqlErrors errors = new SqlErrors();

    /**
     * Creates a template with default settings: unmapped columns ignored, no JSON binding beyond
     * {@code String}, streams fetching {@value #DEFAULT_FETCH_SIZE} rows per round trip.
     * @param dataSource the data source
     */
    public PostgresTemplate(DataSource dataSource) {
        this(dataSource, new RowMappers(UnmappedColumns.IGNORE, null), DEFAULT_FETCH_SIZE);
    }

    /**
     * Creates a template.
     * @param dataSource the data source
     * @param rowMappers the row mappers, shared by the templates of an application
     * @param fetchSize rows per round trip of a stream
     */
    public PostgresTemplate(DataSource dataSource, RowMappers rowMappers, int fetchSize) {
        this(dataSource, dataSource, dataSource, rowMappers, fetchSize);
    }

    /**
     * Creates a template that sends work outside a transaction straight to the node it belongs on: queries to
     * {@code reads}, everything else to {@code writes}. Inside a transaction every call joins the transaction's
     * connection from {@code dataSource}, which must route by itself (read-only transactions to readers).
     * @param dataSource the data source transactions are bound to
     * @param writes connections for statements outside a transaction
     * @param reads connections for queries outside a transaction
     * @param rowMappers the row mappers, shared by the templates of an application
     * @param fetchSize rows per round trip of a stream
     */
    protected PostgresTemplate(DataSource dataSource, DataSource writes, DataSource reads, RowMappers rowMappers,
            int fetchSize) {
        if (fetchSize < 1) {
            throw new IllegalArgumentException("The fetch size must be at least 1, not " + fetchSize);
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.writes = Objects.requireNonNull(writes, "writes");
        this.reads = Objects.requireNonNull(reads, "reads");
        this.rowMappers = Objects.requireNonNull(rowMappers, "rowMappers");
        this.fetchSize = fetchSize;
        this.transactionManager = new JdbcTransactionManager(dataSource);
        // Joining a transaction whose isolation or read-only flag differs from the options fails instead of
        // silently running with the outer transaction's.
        this.transactionManager.setValidateExistingTransaction(true);
    }

    /**
     * The row mappers this template maps to classes with.
     * @return the row mappers
     */
    public RowMappers getRowMappers() {
        return this.rowMappers;
    }

    @Override
    public <T> List<T> queryAll(Class<T> type, String sql, Object... args) {
        ObjectRowMapper<T> mapper = this.rowMappers.forType(type);
        return run("queryAll", sql, args, false, true, (statement) -> {
            try (ResultSet rs = statement.executeQuery()) {
                return mapper.readAll(rs);
            }
        });
    }

    @Override
    public <T> List<T> queryAll(String sql, RowMapper<T> mapper, Object... args) {
        return run("queryAll", sql, args, false, true, (statement) -> {
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

    @Override
    public <T> Optional<T> queryOne(Class<T> type, String sql, Object... args) {
        ObjectRowMapper<T> mapper = this.rowMappers.forType(type);
        return single(sql, args, mapper::reader);
    }

    @Override
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
        return single(sql, args, (rs) -> (row) -> mapper.mapRow(row, 0));
    }

    private <T> Optional<T> single(String sql, @Nullable Object[] args, ReaderFactory<T> readers) {
        return run("queryOne", sql, args, true, true, (statement) -> {
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

    @Override
    public long queryCount(String sql, Object... args) {
        ObjectRowMapper<Long> mapper = this.rowMappers.forType(Long.class);
        return run("queryCount", sql, args, true, true, (statement) -> {
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

    @Override
    public int exec(String sql, Object... args) {
        return run("exec", sql, args, false, false, PreparedStatement::executeUpdate);
    }

    @Override
    public void notify(String channel, String payload) {
        NotificationListenerContainer.validateChannel(channel);
        NotificationListenerContainer.validatePayload(payload);
        run("notify", "select pg_notify(?, ?)", new Object[] { channel, payload }, false, false,
                PreparedStatement::execute);
    }

    @Override
    public int[] batch(String sql, Iterable<?> parameterSets) {
        Objects.requireNonNull(parameterSets, "parameterSets");
        Connection connection = connection(false);
        PreparedStatement statement = null;
        StatementParameters current = null;
        String firstSql = null;
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
                    // With named parameters the SQL depends on the values (a collection expands to a list), so
                    // the first set decides it for all.
                    statement = connection.prepareStatement(current.sql());
                    DataSourceUtils.applyTransactionTimeout(statement, this.dataSource);
                }
                current.bind(statement);
                statement.addBatch();
            }
            return (statement != null) ? statement.executeBatch() : new int[0];
        }
        catch (SQLException ex) {
            throw failure("batch", (current != null) ? current.sql() : sql, ex, sent.toArray(), statement);
        }
        finally {
            JdbcUtils.closeStatement(statement);
            DataSourceUtils.releaseConnection(connection, this.dataSource);
        }
    }

    @Override
    public Pipeline pipeline() {
        return new Pipeline(this);
    }

    int[] executePipeline(List<StatementParameters> statements) {
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
        // PgJDBC sends the statements of one multi-statement string as separate extended-protocol messages
        // followed by a single Sync: one round trip, and one implicit transaction when auto-commit is on.
        return run("pipeline", sql.toString(), values.toArray(), false, false, (statement) -> {
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

    @Override
    public <T> Stream<T> stream(Class<T> type, String sql, Object... args) {
        ObjectRowMapper<T> mapper = this.rowMappers.forType(type);
        return openStream(sql, args, mapper::reader);
    }

    @Override
    public <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object... args) {
        return openStream(sql, args, (rs) -> {
            int[] rowNum = { 0 };
            return (row) -> mapper.mapRow(row, rowNum[0]++);
        });
    }

    @Override
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
        CursorQuery cursor = new CursorQuery(parameters);
        try {
            ResultSet rs = cursor.open();
            RowReader<T> reader = readers.reader(rs);
            Spliterator<T> rows = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED) {
                @Override
                public boolean tryAdvance(Consumer<? super T> action) {
                    try {
                        if (!rs.next()) {
                            return false;
                        }
                        action.accept(reader.read(rs));
                        return true;
                    }
                    catch (SQLException ex) {
                        throw failure("stream", parameters.sql(), ex, parameters.values(), cursor.statement);
                    }
                }
            };
            return StreamSupport.stream(rows, false).onClose(cursor::close);
        }
        catch (SQLException ex) {
            RuntimeException failure = failure("stream", parameters.sql(), ex, parameters.values(),
                    cursor.statement);
            closeAfterFailure(cursor, failure);
            throw failure;
        }
        catch (RuntimeException | Error ex) {
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

    @Override
    public <T> T inTransaction(TransactionCallback<T> callback) {
        return inTransaction(TransactionOptions.defaults(), callback);
    }

    @Override
    public <T> T inTransaction(TransactionOptions options, TransactionCallback<T> callback) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(callback, "callback");
        DefaultTransactionDefinition definition = new DefaultTransactionDefinition(options.savepoint()
                ? TransactionDefinition.PROPAGATION_NESTED : TransactionDefinition.PROPAGATION_REQUIRED);
        definition.setIsolationLevel(options.isolation().value());
        definition.setReadOnly(options.readOnly());
        if (options.timeout() != null) {
            definition.setTimeout((int) Math.max(1, (options.timeout().toMillis() + 999) / 1000));
        }
        TransactionTemplate template = new TransactionTemplate(this.transactionManager, definition);
        return template.execute((status) -> {
            if (options.deferrable() && status.isNewTransaction() && options.readOnly()
                    && options.isolation() == Isolation.SERIALIZABLE) {
                // Must come before the transaction's first query; PgJDBC has no property for it.
                exec("set transaction deferrable");
            }
            return callback.doInTransaction(status);
        });
    }

    /**
     * A connection for one call: the transaction's when one is bound to the thread, otherwise a new one from the
     * reads or the writes data source. Released with {@link DataSourceUtils#releaseConnection}, which closes it
     * unless it is the transaction's.
     */
    private Connection connection(boolean read) {
        if (this.reads == this.dataSource && this.writes == this.dataSource) {
            return DataSourceUtils.getConnection(this.dataSource);
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
            throw failure(read ? "read connection" : "write connection", null, ex, null, null);
        }
    }

    /**
     * Turns a driver failure into the exception the caller sees. Subclasses that know the nodes behind the
     * connection may say more, such as that a failover is in progress.
     * @param task the operation, for example {@code queryAll}
     * @param sql the statement
     * @param ex the driver's failure
     * @param values the bound values, kept out of the message
     * @param statement the statement it happened on, if one was created
     * @return the exception to throw
     */
    RuntimeException failure(String task, @Nullable String sql, SQLException ex, @Nullable Object @Nullable [] values,
            @Nullable Statement statement) {
        return this.errors.translate(task, sql, ex, values);
    }

    private <R> R run(String task, String sql, @Nullable Object[] args, boolean singleRow, boolean read,
            StatementWork<R> work) {
        StatementParameters parameters = StatementParameters.of(sql, args);
        Connection connection = connection(read);
        PreparedStatement statement = null;
        try {
            statement = connection.prepareStatement(parameters.sql());
            DataSourceUtils.applyTransactionTimeout(statement, this.dataSource);
            if (singleRow) {
                // The server stops after two rows, enough to tell "one" from "more than one".
                statement.setMaxRows(2);
            }
            parameters.bind(statement);
            return work.run(statement);
        }
        catch (SQLException ex) {
            throw failure(task, parameters.sql(), ex, parameters.values(), statement);
        }
        finally {
            JdbcUtils.closeStatement(statement);
            DataSourceUtils.releaseConnection(connection, this.dataSource);
        }
    }

    @FunctionalInterface
    private interface StatementWork<R> {

        R run(PreparedStatement statement) throws SQLException;

    }

    @FunctionalInterface
    private interface ReaderFactory<T> {

        RowReader<T> reader(ResultSet rs) throws SQLException;

    }

    /**
     * The connection, statement and result set of one stream. PostgreSQL keeps a cursor open only inside a
     * transaction, and PgJDBC fetches in chunks only when auto-commit is off. Inside a transaction the stream
     * uses the transaction's connection as it is; outside one it takes a connection of its own from the data
     * source (never one bound to the thread, which other calls of the thread may be using) and runs a read-only
     * transaction on it until the stream is closed.
     */
    private final class CursorQuery {

        private final StatementParameters parameters;

        private @Nullable Connection connection;

        private @Nullable PreparedStatement statement;

        private @Nullable ResultSet resultSet;

        private boolean ownConnection;

        private boolean closed;

        CursorQuery(StatementParameters parameters) {
            this.parameters = parameters;
        }

        ResultSet open() throws SQLException {
            DataSource dataSource = PostgresTemplate.this.dataSource;
            Connection connection;
            if (TransactionSynchronizationManager.isActualTransactionActive()) {
                connection = DataSourceUtils.getConnection(dataSource);
                this.connection = connection;
            }
            else {
                connection = PostgresTemplate.this.reads.getConnection();
                this.connection = connection;
                this.ownConnection = true;
                connection.setReadOnly(true);
                connection.setAutoCommit(false);
            }
            PreparedStatement statement = connection.prepareStatement(this.parameters.sql(),
                    ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            this.statement = statement;
            DataSourceUtils.applyTransactionTimeout(statement, dataSource);
            statement.setFetchSize(PostgresTemplate.this.fetchSize);
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
                DataSourceUtils.releaseConnection(connection, PostgresTemplate.this.dataSource);
            }
            if (failure != null) {
                throw PostgresTemplate.this.errors.translate("stream close", this.parameters.sql(), failure,
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

    }

    @FunctionalInterface
    private interface SqlAction<R> {

        void run(R resource) throws SQLException;

    }

}
