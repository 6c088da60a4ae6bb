package io.nexs.postgres.copy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.Operation;
import io.nexs.postgres.query.ObjectRowMapper.RowReader;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyInputStream;

import org.springframework.dao.InvalidDataAccessApiUsageException;

/**
 * Reads a query's result with {@code COPY (query) TO STDOUT}: written to a stream in any format, or streamed as
 * mapped rows from the binary format, on the node the read preference allows.
 */
final class CopyOut {

    private final CopyExecution execution;

    CopyOut(CopyExecution execution) {
        this.execution = execution;
    }

    // ---------------------------------------------------------------------------------------------------------
    // COPY out

    /** The query without the semicolons a {@code COPY (...)} cannot hold. */
    private static String copyQuery(String query) {
        String trimmed = query.strip();
        while (trimmed.endsWith(";")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1).stripTrailing();
        }
        if (trimmed.isEmpty()) {
            throw new InvalidDataAccessApiUsageException("The COPY query is empty");
        }
        return trimmed;
    }

    long copyOut(String query, OutputStream output, CopyFormat format) {
        String select = copyQuery(query);
        String sql = copyOutSql(select, format);
        CopyAttempt sent = new CopyAttempt();
        Retrier retrier = this.execution.runner().retrier();
        if (!this.execution.runner().retrying()) {
            return copyOutOnce(select, sql, output, 1, sent);
        }
        // Sent again only when nothing reached the output, since written bytes cannot be taken back, and, when the
        // connection was lost after the query was sent, only if the query cannot have written (as for queries).
        return retrier.run("copyOut", (attempt) -> {
            try {
                return copyOutOnce(select, sql, output, attempt, sent);
            }
            catch (RuntimeException ex) {
                throw (sent.consumed || sent.unrepeatable) ? Retrier.doNotRetry(ex) : ex;
            }
        });
    }

    /** The COPY of a query; the line break ends a line comment the query may end with. */
    private static String copyOutSql(String select, CopyFormat format) {
        return "COPY (" + select + "\n) TO STDOUT " + format.toSql(true);
    }

    private long copyOutOnce(String select, String sql, OutputStream output, int attemptNumber, CopyAttempt sent) {
        HookContext hook = this.execution.runner().hooks().start(Operation.COPY, "copyOut", sql, 0, null);
        Connection connection = this.execution.runner().connection(true, hook);
        boolean began = false;
        try {
            if (hook != null) {
                this.execution.runner().before(hook, connection, attemptNumber);
                began = true;
            }
            OutputStream counting = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    sent.consumed = true;
                    sent.bytes++;
                    output.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    sent.consumed = true;
                    sent.bytes += len;
                    output.write(b, off, len);
                }
            };
            sent.unrepeatable = !this.execution.runner().readOnly(select, connection);
            long rows = connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql, counting);
            sent.unrepeatable = false;
            if (began) {
                hook.attributes().put(HookContext.COPY_BYTES, sent.bytes);
                this.execution.runner().hooks().after(hook, rows, null);
            }
            return rows;
        }
        catch (SQLException ex) {
            RuntimeException failure = this.execution.translate("copyOut", sql, ex, 1, false, connection);
            if (!TransientErrors.isConnectionLoss(failure)) {
                // the server answered: it rolled the statement back, and running it again applies nothing twice
                sent.unrepeatable = false;
            }
            else {
                // the pool cannot see a failure on the driver's own connection: it must not lend it again
                discard(connection);
            }
            if (began) {
                this.execution.runner().hooks().after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            throw failure;
        }
        catch (IOException ex) {
            RuntimeException failure = new UncheckedIOException("Writing the COPY output failed: " + ex.getMessage(), ex);
            if (began) {
                this.execution.runner().hooks().after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            throw failure;
        }
        catch (RuntimeException | Error ex) {
            if (began) {
                this.execution.runner().hooks().after(hook, HookContext.UNKNOWN_ROWS, ex);
            }
            throw ex;
        }
        finally {
            this.execution.runner().release(connection);
        }
    }

    /**
     * Streams the rows of a binary {@code COPY} out, mapped by the row mappers. The columns are described before
     * the {@code COPY} starts, so a type that cannot be decoded fails before any row is read; the stream holds the
     * connection until it is closed.
     */
    <T> Stream<T> copyOut(String query, ReaderFactory<T> readers) {
        if (this.execution.inTransaction()) {
            // The COPY holds the transaction's connection while the stream is read: any other statement of the
            // transaction would wait for it, and closing early would have to cancel it, aborting the transaction.
            throw new InvalidDataAccessApiUsageException("A COPY out of mapped rows holds its connection while the "
                    + "stream is read and cannot run inside a transaction; use stream(...) there, or copyOut to an "
                    + "OutputStream");
        }
        String select = copyQuery(query);
        String sql = copyOutSql(select, CopyFormat.binary());
        HookContext hook = this.execution.runner().hooks().start(Operation.COPY, "copyOut", sql, 0, null);
        Connection connection = this.execution.runner().connection(true, hook);
        MappedCopy copy = new MappedCopy(sql, connection, hook);
        try {
            if (hook != null) {
                this.execution.runner().before(hook, connection, 1);
                copy.began = true;
            }
            ResultSetMetaData described;
            try (PreparedStatement statement = connection.prepareStatement(select)) {
                ResultSetMetaData metaData = statement.getMetaData();
                if (metaData == null) {
                    throw new InvalidDataAccessApiUsageException("The COPY query returns no rows to map");
                }
                described = CopyOutRows.describe(metaData);
            }
            copy.in = new PGCopyInputStream(connection.unwrap(PGConnection.class), sql);
            CopyOutRows rows = CopyOutRows.of(new BufferedInputStream(copy.in, 64 * 1024), described);
            copy.rows = rows;
            RowReader<T> reader = readers.reader(rows);
            Spliterator<T> mapped = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED) {
                @Override
                public boolean tryAdvance(Consumer<? super T> action) {
                    T row;
                    try {
                        if (!rows.next()) {
                            // the whole result was read: the connection goes back now, not when the stream closes
                            copy.close();
                            return false;
                        }
                        row = reader.read(rows);
                        copy.count++;
                    }
                    catch (SQLException ex) {
                        RuntimeException failure = CopyOut.this.execution.translate("copyOut", sql, ex, 1, false,
                                connection);
                        copy.failure = failure;
                        throw failure;
                    }
                    catch (RuntimeException ex) {
                        copy.failure = ex;
                        throw ex;
                    }
                    // what the consumer does with the row is not a failure of the COPY
                    action.accept(row);
                    return true;
                }
            };
            return StreamSupport.stream(mapped, false).onClose(copy::close);
        }
        catch (SQLException ex) {
            RuntimeException failure = this.execution.translate("copyOut", sql, ex, 1, false, connection);
            copy.failure = failure;
            copy.closeAfter(failure);
            throw failure;
        }
        catch (RuntimeException | Error ex) {
            copy.failure = ex;
            copy.closeAfter(ex);
            throw ex;
        }
    }

    /** Rows a mapped {@code COPY} out closed early reads and drops before it asks the server to cancel. */
    private static final long EARLY_CLOSE_DRAIN_BYTES = 4L * 1024 * 1024;

    /**
     * Takes a connection out of service: closes its socket, then lets the pool see it is gone (a pool evicts a
     * connection whose use fails with a connection error) before it is released.
     */
    private static void discard(Connection connection) {
        try {
            connection.abort(Runnable::run);
            connection.createStatement().close();
        }
        catch (SQLException ex) {
            // expected: the connection is closed, which is what the pool must learn
        }
    }

    /** How {@link #copyOut(String, ReaderFactory)} maps the rows it reads. */
    @FunctionalInterface
    interface ReaderFactory<T> {

        RowReader<T> reader(ResultSet rows) throws SQLException;

    }

    /** The connection, stream and hook of one mapped {@code COPY} out, released when its stream is closed. */
    private final class MappedCopy {

        private final String sql;

        private final Connection connection;

        private final @Nullable HookContext hook;

        boolean began;

        @Nullable PGCopyInputStream in;

        @Nullable CopyOutRows rows;

        long count;

        @Nullable Throwable failure;

        private boolean closed;

        MappedCopy(String sql, Connection connection, @Nullable HookContext hook) {
            this.sql = sql;
            this.connection = connection;
            this.hook = hook;
        }

        void close() {
            if (this.closed) {
                return;
            }
            this.closed = true;
            RuntimeException failure = null;
            boolean reusable = true;
            try {
                reusable = finish();
            }
            catch (SQLException ex) {
                failure = CopyOut.this.execution.translate("copyOut close", this.sql, ex, 1, false,
                        this.connection);
            }
            finally {
                if (this.began) {
                    CopyOut.this.execution.runner().hooks().after(this.hook, this.count,
                            (this.failure != null) ? this.failure : failure);
                }
                if (!reusable || (this.failure != null && TransientErrors.isConnectionLoss(this.failure))) {
                    discard(this.connection);
                }
                CopyOut.this.execution.runner().release(this.connection);
            }
            if (failure != null && this.failure == null) {
                throw failure;
            }
        }

        /**
         * Ends the {@code COPY} so the connection can serve again. PgJDBC's own cancellation of a {@code COPY} out
         * leaves the rest of the rows on the wire, so the rest is read here: a little of it at once, and past that
         * after asking the server to cancel. A cancel request may land on whatever the connection runs next; when
         * the {@code COPY} ended before it was seen, the connection is not given back to serve again.
         * @return whether the connection can be reused
         */
        private boolean finish() throws SQLException {
            PGCopyInputStream in = this.in;
            if (in == null || !in.isActive()) {
                return true;
            }
            byte[] buffer = new byte[64 * 1024];
            long drained = 0;
            try {
                while (drained < EARLY_CLOSE_DRAIN_BYTES) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        return true;
                    }
                    drained += n;
                }
                this.connection.unwrap(PGConnection.class).cancelQuery();
                while (in.read(buffer) >= 0) {
                    // the rows the server sent before it saw the cancel request
                }
                return false;
            }
            catch (IOException ex) {
                // the cancel request ended the COPY: it cannot land on anything else
                return ex.getCause() instanceof SQLException sql && "57014".equals(sql.getSQLState());
            }
        }

        void closeAfter(Throwable cause) {
            try {
                close();
            }
            catch (RuntimeException ex) {
                cause.addSuppressed(ex);
            }
        }

    }
}
