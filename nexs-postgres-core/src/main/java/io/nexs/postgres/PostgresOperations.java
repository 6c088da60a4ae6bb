package io.nexs.postgres;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import io.nexs.postgres.copy.CopyOperations;
import io.nexs.postgres.query.Column;
import io.nexs.postgres.query.NamedParameters;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.transaction.support.TransactionCallback;

/**
 * The queries, statements, batches and transactions an application runs every day.
 *
 * <p>Parameters are positional ({@code ?}, bound in order from {@code args}) or named ({@code :name}, when
 * {@code args} is a single {@link NamedParameters}, which takes them from a {@code Map}, a record or a bean):
 * <pre>{@code
 * List<Order> open = postgres.queryAll(Order.class, "select * from orders where status = ?", Status.OPEN);
 * Optional<Order> one = postgres.queryOne(Order.class, "select * from orders where id = :id",
 *         NamedParameters.of("id", 42));
 * }</pre>
 *
 * <p>Rows map to records (through the canonical constructor), JavaBeans (setters), classes with fields, or a
 * simple type for single-column results. Columns match properties by name, {@code snake_case} to
 * {@code camelCase}, or by {@link Column}; {@code address_street} fills {@code address.street}.
 *
 * <p>Every call joins the transaction bound to the current thread: one begun by
 * {@link #inTransaction(TransactionOptions, TransactionCallback)} or by Spring's {@code @Transactional} over
 * the same {@code DataSource}. Outside a transaction each call runs on its own with auto-commit.
 *
 * <p>Failures are Spring {@link DataAccessException}s translated from the SQLSTATE; their messages never
 * contain bound parameter values.
 */
public interface PostgresOperations {

    /**
     * Runs a query and maps every row to the given type.
     * @param <T> the target type
     * @param type a record, bean or class with fields, or a simple type for a single-column result
     * @param sql the query
     * @param args the parameters
     * @return the rows, in the order the query returned them; empty when there are none
     */
    <T> List<T> queryAll(Class<T> type, String sql, Object... args);

    /**
     * Runs a query and maps every row with a {@link RowMapper}.
     * @param <T> the row type
     * @param sql the query
     * @param mapper maps one row
     * @param args the parameters
     * @return the rows
     */
    <T> List<T> queryAll(String sql, RowMapper<T> mapper, Object... args);

    /**
     * Runs a query that returns at most one row and maps it to the given type.
     * @param <T> the target type
     * @param type a record, bean or class with fields, or a simple type for a single-column result
     * @param sql the query
     * @param args the parameters
     * @return the row, or empty when there is none (or its single column is NULL)
     * @throws org.springframework.dao.IncorrectResultSizeDataAccessException when the query returns more than
     * one row
     */
    <T> Optional<T> queryOne(Class<T> type, String sql, Object... args);

    /**
     * Runs a query that returns at most one row and maps it with a {@link RowMapper}.
     * @param <T> the row type
     * @param sql the query
     * @param mapper maps the row
     * @param args the parameters
     * @return the row, or empty when there is none
     * @throws org.springframework.dao.IncorrectResultSizeDataAccessException when the query returns more than
     * one row
     */
    <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args);

    /**
     * Runs a query that returns one number, such as {@code select count(*) from orders where ...}.
     * @param sql the query
     * @param args the parameters
     * @return the number in the first column of the only row
     * @throws org.springframework.dao.IncorrectResultSizeDataAccessException when the query does not return
     * exactly one row
     * @throws io.nexs.postgres.query.RowMappingException when the value is NULL or not a whole number
     */
    long queryCount(String sql, Object... args);

    /**
     * Runs a query through a server-side cursor and returns its rows as a lazily filled stream. The stream holds
     * a connection and a transaction until it is closed: always close it, with try-with-resources.
     * <pre>{@code
     * try (Stream<Order> orders = postgres.stream(Order.class, "select * from orders")) {
     *     orders.forEach(exporter::write);
     * }
     * }</pre>
     * Rows arrive in chunks of the configured fetch size, so memory does not grow with the result. Inside a
     * transaction the stream reads on the transaction's connection. Outside one it takes a connection of its own
     * and runs a read-only transaction on it, ended when the stream is closed; other calls of the thread are not
     * affected.
     * @param <T> the target type
     * @param type the target type
     * @param sql the query
     * @param args the parameters
     * @return the rows; must be closed
     */
    <T> Stream<T> stream(Class<T> type, String sql, Object... args);

    /**
     * Like {@link #stream(Class, String, Object...)}, mapping rows with a {@link RowMapper}.
     * @param <T> the row type
     * @param sql the query
     * @param mapper maps one row
     * @param args the parameters
     * @return the rows; must be closed
     */
    <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object... args);

    /**
     * Runs a query through a server-side cursor and hands each mapped row to an action, closing everything
     * before it returns.
     * @param <T> the target type
     * @param type the target type
     * @param sql the query
     * @param action called once per row, on the calling thread
     * @param args the parameters
     * @return the number of rows
     */
    <T> long forEach(Class<T> type, String sql, Consumer<? super T> action, Object... args);

    /**
     * Runs a statement that returns no rows: {@code insert}, {@code update}, {@code delete} or DDL. A single
     * {@code Map} is refused as a positional parameter; wrap it in {@link NamedParameters} for {@code :name}s.
     * @param sql the statement
     * @param args the parameters
     * @return the number of rows affected
     * @throws io.nexs.postgres.error.OutcomeUnknownException when, outside a transaction, the connection was lost
     * after the statement was sent: it may or may not have been applied, and it is not retried
     */
    int exec(String sql, Object... args);

    /**
     * Runs one statement with many parameter sets in a single batch. Each element of {@code parameterSets} is
     * an {@code Object[]} of positional parameters, or a {@link NamedParameters}, a {@code Map}, a record or a
     * bean for {@code :name} parameters. Inserts are rewritten into multi-row statements by PgJDBC
     * ({@code reWriteBatchedInserts}); their counts are then {@link java.sql.Statement#SUCCESS_NO_INFO}. The
     * batch applies all or nothing: outside a transaction it runs as one of its own, since PgJDBC would commit a
     * long batch in parts.
     * @param sql the statement
     * @param parameterSets one element per execution
     * @return the count of each execution, in order
     * @throws io.nexs.postgres.error.OutcomeUnknownException when, outside a transaction, the connection was lost
     * during its commit: it may or may not have been applied, and it is not retried
     */
    int[] batch(String sql, Iterable<?> parameterSets);

    /**
     * The {@code COPY} of these operations: bulk loads of rows, CSV or text into a table, and bulk reads of a
     * query's result to a stream or as mapped rows.
     * <pre>{@code
     * record Reading(long id, String label, Instant takenAt, BigDecimal amount) { }
     * postgres.copy().into("readings").columns("id", "label", "taken_at", "amount").rows(readings);
     * }</pre>
     * Loads always run on the primary; reads outside a transaction follow the read preference, like queries.
     * Every {@code COPY} statement goes through the {@code beforeCopy} and {@code afterCopy} hooks.
     * @return the COPY operations; cheap, and may be kept
     */
    CopyOperations copy();

    /**
     * Starts a pipeline: different statements sent to the server in one round trip and run as one unit.
     * @return an empty pipeline
     */
    Pipeline pipeline();

    /**
     * Runs a callback in a transaction with default options (read-write, the server's isolation level). See
     * {@link #inTransaction(TransactionOptions, TransactionCallback)}.
     * @param <T> the result type
     * @param callback the work
     * @return what the callback returned
     */
    <T> T inTransaction(TransactionCallback<T> callback);

    /**
     * Runs a callback in a transaction. Every call the callback makes through this object, Spring's
     * {@code JdbcTemplate} or {@code JdbcClient} on the same data source runs in it. The transaction commits
     * when the callback returns and rolls back when it throws or calls
     * {@code status.setRollbackOnly()}.
     *
     * <p>Inside an existing transaction (an outer {@code inTransaction} or a Spring {@code @Transactional}
     * method) the callback joins it, unless {@link TransactionOptions#savepoint()} asks for a savepoint: then
     * a failure of the callback rolls back to the savepoint and leaves the outer transaction usable. Joining
     * with an isolation level other than the outer one's, or read-write into a read-only transaction, fails
     * with {@link org.springframework.transaction.IllegalTransactionStateException}.
     * @param <T> the result type
     * @param options isolation, read-only, deferrable, savepoint and timeout
     * @param callback the work
     * @return what the callback returned
     */
    <T> T inTransaction(TransactionOptions options, TransactionCallback<T> callback);

    /**
     * Sends a notification to the listeners of a channel ({@code pg_notify}). Inside a transaction it is
     * delivered when the transaction commits, and not at all if it rolls back.
     * @param channel the channel name
     * @param payload the payload, shorter than 8000 bytes
     * @throws io.nexs.postgres.error.OutcomeUnknownException when, outside a transaction, the connection was lost
     * after the statement was sent: it may or may not have been applied, and it is not retried
     */
    void notify(String channel, String payload);

}
