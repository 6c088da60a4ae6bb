package io.nexs.postgres;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import io.nexs.postgres.copy.CopyFormat;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.copy.CopyResult;
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
     */
    int exec(String sql, Object... args);

    /**
     * Runs one statement with many parameter sets in a single batch. Each element of {@code parameterSets} is
     * an {@code Object[]} of positional parameters, or a {@link NamedParameters}, a {@code Map}, a record or a
     * bean for {@code :name} parameters. Inserts are rewritten into multi-row statements by PgJDBC
     * ({@code reWriteBatchedInserts}); their counts are then {@link java.sql.Statement#SUCCESS_NO_INFO}.
     * @param sql the statement
     * @param parameterSets one element per execution
     * @return the count of each execution, in order
     */
    int[] batch(String sql, Iterable<?> parameterSets);

    /**
     * Loads rows into a table with a binary {@code COPY}, the fastest way into PostgreSQL, with the default
     * options ({@link CopyMode#ATOMIC} unless {@code nexs.postgres.copy.*} says otherwise). See
     * {@link #copyIn(String, List, Iterable, CopyOptions)}.
     * @param table the table, optionally schema-qualified
     * @param columns the columns each row gives, in order
     * @param rows the rows: {@code Object[]}, {@code List}, {@code Map}, records or beans
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, Iterable<?> rows);

    /**
     * Loads rows into a table with a binary {@code COPY}.
     * <pre>{@code
     * record Reading(long id, String label, Instant takenAt, BigDecimal amount) { }
     * postgres.copyIn("readings", List.of("id", "label", "taken_at", "amount"), readings);
     * }</pre>
     * <p>Table and column names are identifiers, checked and quoted before any SQL is sent: {@code sales.orders}
     * and {@code "Mixed Case"} are accepted, {@code orders; drop table x} is refused. The columns' types are read
     * from the table once, before the first row; each value is then written in its column's binary form, and a
     * value that does not fit (a {@code String} for an {@code integer}, a number out of range) raises
     * {@link io.nexs.postgres.copy.CopyValueException} naming the row, the column and the reason. Rows are
     * {@code Object[]} or {@code List} (values in the order of the columns), {@code Map}s (by column name), records
     * or beans (a column {@code taken_at} from the property {@code takenAt}, or the one annotated
     * {@code @Column("taken_at")}).
     * <p>Rows are read and sent as they come, through one buffer: memory does not grow with the rows. The load
     * always runs on the primary. In {@link CopyMode#ATOMIC} mode all rows go in one transaction (the caller's,
     * when one is open), so a failure leaves nothing behind. In {@link CopyMode#PER_CHUNK} mode each chunk commits
     * on its own, over {@link CopyOptions#parallelism()} connections at once, in no particular order; a chunk that
     * fails for good stops the load with a {@link io.nexs.postgres.copy.PartialCopyException} that lists the
     * committed chunks. Every {@code COPY} statement goes through the {@code beforeCopy} and {@code afterCopy}
     * hooks.
     * @param table the table, optionally schema-qualified
     * @param columns the columns each row gives, in order
     * @param rows the rows
     * @param options mode, parallelism, chunk size and progress listener
     * @return the rows loaded, bytes sent, duration and, per chunk, what committed
     */
    CopyResult copyIn(String table, List<String> columns, Iterable<?> rows, CopyOptions options);

    /**
     * Loads the rows of a stream with the default options; see {@link #copyIn(String, List, Iterable, CopyOptions)}.
     * The stream is consumed but not closed.
     * @param table the table
     * @param columns the columns
     * @param rows the rows
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, Stream<?> rows);

    /**
     * Loads the rows of a stream; see {@link #copyIn(String, List, Iterable, CopyOptions)}. The stream is consumed
     * but not closed.
     * @param table the table
     * @param columns the columns
     * @param rows the rows
     * @param options the options
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, Stream<?> rows, CopyOptions options);

    /**
     * Loads the rows of an iterator; see {@link #copyIn(String, List, Iterable, CopyOptions)}.
     * @param table the table
     * @param columns the columns
     * @param rows the rows
     * @param options the options
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, Iterator<?> rows, CopyOptions options);

    /**
     * Loads CSV or PostgreSQL text from a reader in one {@code COPY}, in one transaction, on the primary; the
     * server parses it. A bad line fails the whole load with an exception naming the line (header included) and
     * column, without the line's content. The reader is read to its end but not closed.
     * @param table the table
     * @param columns the columns in the order of the fields, or empty for all of the table's
     * @param input the text
     * @param format {@link CopyFormat#csv()} or {@link CopyFormat#tsv()}, with header, delimiter, quote and NULL
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, Reader input, CopyFormat format);

    /**
     * Like {@link #copyIn(String, List, Reader, CopyFormat)}, reporting progress (in bytes) to the options'
     * listener. Only {@link CopyMode#ATOMIC} with parallelism 1 is accepted for a stream.
     * @param table the table
     * @param columns the columns, or empty for all
     * @param input the text
     * @param format the format
     * @param options the options
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, Reader input, CopyFormat format, CopyOptions options);

    /**
     * Loads CSV, text or binary {@code COPY} data from a byte stream in one {@code COPY}; the format's encoding
     * tells the server how the text is encoded. See {@link #copyIn(String, List, Reader, CopyFormat)}.
     * @param table the table
     * @param columns the columns, or empty for all
     * @param input the bytes
     * @param format the format
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, InputStream input, CopyFormat format);

    /**
     * Like {@link #copyIn(String, List, InputStream, CopyFormat)}, reporting progress to the options' listener.
     * @param table the table
     * @param columns the columns, or empty for all
     * @param input the bytes
     * @param format the format
     * @param options the options
     * @return the rows loaded
     */
    CopyResult copyIn(String table, List<String> columns, InputStream input, CopyFormat format,
            CopyOptions options);

    /**
     * Writes the result of a query to a stream with {@code COPY (query) TO STDOUT}: CSV, PostgreSQL text or
     * binary, at the server's speed. Outside a transaction it runs on a replica when the read preference allows,
     * like any query. The query takes no parameters, since {@code COPY} cannot bind them. It is sent again after a
     * transient failure only when nothing was written to the stream yet. The stream is not closed.
     * @param query the query, for example {@code select * from orders where placed_at >= current_date}
     * @param output where the rows go
     * @param format the format and its options (header, delimiter, encoding)
     * @return the rows written
     */
    long copyOut(String query, OutputStream output, CopyFormat format);

    /**
     * Streams the result of a query through a binary {@code COPY (query) TO STDOUT}, each row mapped to the given
     * type as {@link #queryAll(Class, String, Object...)} maps it. The server sends rows as fast as the stream is
     * read, without a cursor or a transaction; memory holds one row at a time. The stream holds a connection
     * until it is read to its end or closed: always close it, with try-with-resources. Closing it early cancels the
     * {@code COPY}. It cannot run inside a transaction, whose other statements would wait for the connection
     * it holds: use {@link #stream(Class, String, Object...)} there.
     * <pre>{@code
     * try (Stream<Order> orders = postgres.copyOut(Order.class, "select * from orders")) {
     *     orders.forEach(exporter::write);
     * }
     * }</pre>
     * The columns' types are read before the {@code COPY} starts: booleans, numbers, text, json, bytea, uuid,
     * dates and times and their one-dimensional arrays are decoded; another type (an interval, a range) is refused
     * then, naming the column and the cast that fixes it ({@code ::text}). Like {@link #copyOut(String,
     * OutputStream, CopyFormat)} it runs on a replica when the read preference allows, and takes no parameters.
     * @param <T> the target type
     * @param type a record, bean or class with fields, or a simple type for a single-column result
     * @param query the query
     * @return the rows; must be closed
     */
    <T> Stream<T> copyOut(Class<T> type, String query);

    /**
     * Like {@link #copyOut(Class, String)}, mapping rows with a {@link RowMapper}, which reads the values with
     * {@code getObject}, {@code getString}, {@code getLong} and the other getters by column index.
     * @param <T> the row type
     * @param query the query
     * @param mapper maps one row
     * @return the rows; must be closed
     */
    <T> Stream<T> copyOut(String query, RowMapper<T> mapper);

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
     */
    void notify(String channel, String payload);

}
