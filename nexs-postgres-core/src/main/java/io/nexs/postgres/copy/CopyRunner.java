package io.nexs.postgres.copy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.execution.OperationRunner;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.Operation;
import io.nexs.postgres.query.JsonCodec;
import io.nexs.postgres.query.ObjectRowMapper.RowReader;
import io.nexs.postgres.tx.CommitOutcomeUnknownException;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyInputStream;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs every {@code COPY} of an {@link OperationRunner}: rows of objects encoded in PostgreSQL's binary format
 * into a reused buffer and streamed to the primary, CSV and text streams passed through, and query results
 * streamed out.
 *
 * <p>An atomic load runs in one transaction on the caller's thread, encoding and sending as it reads, so memory
 * holds one buffer whatever the number of rows. A per-chunk load encodes chunks on the caller's thread and
 * sends each in a transaction of its own from a small pool of threads; a fixed set of chunk buffers, one more than
 * the threads, bounds memory and makes the reader wait when the server is slower.
 */
final class CopyRunner {

    private static final Logger logger = LoggerFactory.getLogger("io.nexs.postgres.copy");

    /** An atomic load sends what it encoded once this much is buffered. */
    static final int FLUSH_BYTES = 256 * 1024;

    /** The buffer of an atomic load: the flush size and room for the row that crosses it. */
    private static final int ATOMIC_BUFFER_BYTES = FLUSH_BYTES + 64 * 1024;

    /** The buffers of a load from a text stream: bytes, and characters of two bytes each. */
    private static final int TEXT_BUFFER_BYTES = 64 * 1024 + 2 * 16 * 1024;

    /** A chunk ends early once its rows take this much, so wide rows do not make chunk buffers huge. */
    static final int MAX_CHUNK_BYTES = 8 * 1024 * 1024;

    /** How often a long load is logged. */
    private static final Duration LOG_INTERVAL = Duration.ofSeconds(5);

    /** A new read-write transaction with the server's default isolation. */
    private static final TransactionDefinition WRITE = new DefaultTransactionDefinition();

    private static final AtomicInteger LOADS = new AtomicInteger();

    private final OperationRunner runner;

    private final SqlErrors errors;

    CopyRunner(OperationRunner runner) {
        this.runner = runner;
        this.errors = runner.errors();
    }

    // ---------------------------------------------------------------------------------------------------------
    // COPY in from objects

    CopyResult copyIn(String table, List<String> columns, Iterator<?> rows, CopyOptions options, long knownSize,
            boolean repeatable) {
        Statement statement = Statement.of(table, columns, CopyFormat.binary());
        long expected = (options.expectedRows() >= 0) ? options.expectedRows() : knownSize;
        Progress progress = new Progress(statement.table, options, expected);
        if (options.mode() == CopyMode.ATOMIC) {
            if (options.parallelism() > 1) {
                throw new InvalidDataAccessApiUsageException("An atomic COPY loads in one transaction, on one "
                        + "connection: parallelism " + options.parallelism() + " needs CopyMode.PER_CHUNK, where each "
                        + "chunk commits on its own");
            }
            return atomic(statement, progress, ATOMIC_BUFFER_BYTES, repeatable, (connection, attempt) -> sendRows(
                    connection, statement, rows, progress, attempt));
        }
        if (inTransaction()) {
            throw new InvalidDataAccessApiUsageException("A PER_CHUNK COPY commits each chunk on its own and cannot "
                    + "run inside a transaction; use CopyMode.ATOMIC to load in the transaction");
        }
        return new ChunkedLoad(statement, rows, options, progress).run();
    }

    /** Streams rows into one {@code COPY} on the connection, flushing every {@link #FLUSH_BYTES}. */
    private long sendRows(Connection connection, Statement statement, Iterator<?> rows, Progress progress,
            Attempt attempt) throws SQLException {
        List<CopyColumn> types = CopyColumn.lookup(connection, statement.table, statement.columns);
        RowEncoder rowEncoder = new RowEncoder(types, this.runner.rowMappers().json());
        BinaryCopyEncoder encoder = new BinaryCopyEncoder(ATOMIC_BUFFER_BYTES);
        CopyIn copy = copyIn(connection, statement.sql);
        attempt.copy = copy;
        encoder.header();
        long number = 0;
        // asking a stream for its next row already takes it from the source
        attempt.consumed = true;
        while (rows.hasNext()) {
            Object row = rows.next();
            rowEncoder.write(encoder, row, ++number);
            if (encoder.size() >= FLUSH_BYTES) {
                copy.writeToCopy(encoder.buffer(), 0, encoder.size());
                attempt.sent(progress, encoder.size());
                encoder.clear();
                progress.rowsRead(number);
                progress.tick();
            }
        }
        encoder.trailer();
        copy.writeToCopy(encoder.buffer(), 0, encoder.size());
        attempt.sent(progress, encoder.size());
        progress.rowsRead(number);
        return copy.endCopy();
    }

    // ---------------------------------------------------------------------------------------------------------
    // COPY in from text

    CopyResult copyIn(String table, List<String> columns, @Nullable Reader reader, @Nullable InputStream input,
            CopyFormat format, CopyOptions options) {
        if (reader != null && format.kind() == CopyFormat.Kind.BINARY) {
            throw new InvalidDataAccessApiUsageException("Binary COPY input is bytes: pass an InputStream, not a "
                    + "Reader");
        }
        if (options.mode() != CopyMode.ATOMIC || options.parallelism() > 1) {
            throw new InvalidDataAccessApiUsageException("A COPY from a CSV, text or binary stream is one statement "
                    + "in one transaction: use CopyMode.ATOMIC and parallelism 1, or load objects in chunks");
        }
        Statement statement = Statement.of(table, columns, format.toSql(input != null), format);
        Progress progress = new Progress(statement.table, options, options.expectedRows());
        return atomic(statement, progress, (input != null) ? 64 * 1024 : TEXT_BUFFER_BYTES, false,
                (connection, attempt) -> {
            CopyIn copy = copyIn(connection, statement.sql);
            attempt.copy = copy;
            attempt.consumed = true;
            if (input != null) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = read(input, buffer)) > 0) {
                    copy.writeToCopy(buffer, 0, n);
                    attempt.sent(progress, n);
                    progress.tick();
                }
            }
            else {
                sendText(copy, reader, progress, attempt);
            }
            long rows = copy.endCopy();
            progress.rowsRead(rows);
            return rows;
        });
    }

    private static int read(InputStream input, byte[] buffer) {
        try {
            return input.read(buffer);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Reading the COPY input failed: " + ex.getMessage(), ex);
        }
    }

    /** Encodes characters to UTF-8, the connection's encoding, and sends them. */
    private static void sendText(CopyIn copy, @Nullable Reader reader, Progress progress, Attempt attempt)
            throws SQLException {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = CharBuffer.allocate(16 * 1024);
        ByteBuffer bytes = ByteBuffer.allocate(64 * 1024);
        boolean end = false;
        try {
            while (!end) {
                end = reader.read(chars) < 0;
                chars.flip();
                CoderResult result;
                do {
                    result = encoder.encode(chars, bytes, end);
                    if (result.isError()) {
                        result.throwException();
                    }
                    drain(copy, bytes, progress, attempt);
                }
                while (result.isOverflow());
                chars.compact();
            }
            CoderResult result;
            do {
                result = encoder.flush(bytes);
                drain(copy, bytes, progress, attempt);
            }
            while (result.isOverflow());
        }
        catch (CharacterCodingException ex) {
            throw new UncheckedIOException("The COPY input holds text that is not valid UTF-16 (a lone surrogate)",
                    ex);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Reading the COPY input failed: " + ex.getMessage(), ex);
        }
    }

    private static void drain(CopyIn copy, ByteBuffer bytes, Progress progress, Attempt attempt)
            throws SQLException {
        if (bytes.position() > 0) {
            copy.writeToCopy(bytes.array(), 0, bytes.position());
            attempt.sent(progress, bytes.position());
            bytes.clear();
            progress.tick();
        }
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
        Attempt sent = new Attempt();
        Retrier retrier = this.runner.retrier();
        if (!this.runner.retrying()) {
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

    private long copyOutOnce(String select, String sql, OutputStream output, int attemptNumber, Attempt sent) {
        HookContext hook = this.runner.hooks().start(Operation.COPY, "copyOut", sql, 0, null);
        Connection connection = this.runner.connection(true, hook);
        boolean began = false;
        try {
            if (hook != null) {
                this.runner.before(hook, connection, attemptNumber);
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
            sent.unrepeatable = !this.runner.readOnly(select, connection);
            long rows = connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql, counting);
            sent.unrepeatable = false;
            if (began) {
                hook.attributes().put(HookContext.COPY_BYTES, sent.bytes);
                this.runner.hooks().after(hook, rows, null);
            }
            return rows;
        }
        catch (SQLException ex) {
            RuntimeException failure = translate("copyOut", sql, ex, 1, false);
            if (!TransientErrors.isConnectionLoss(failure)) {
                // the server answered: it rolled the statement back, and running it again applies nothing twice
                sent.unrepeatable = false;
            }
            else {
                // the pool cannot see a failure on the driver's own connection: it must not lend it again
                discard(connection);
            }
            if (began) {
                this.runner.hooks().after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            throw failure;
        }
        catch (IOException ex) {
            RuntimeException failure = new UncheckedIOException("Writing the COPY output failed: " + ex.getMessage(), ex);
            if (began) {
                this.runner.hooks().after(hook, HookContext.UNKNOWN_ROWS, failure);
            }
            throw failure;
        }
        catch (RuntimeException | Error ex) {
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
     * Streams the rows of a binary {@code COPY} out, mapped by the row mappers. The columns are described before
     * the {@code COPY} starts, so a type that cannot be decoded fails before any row is read; the stream holds the
     * connection until it is closed.
     */
    <T> Stream<T> copyOut(String query, ReaderFactory<T> readers) {
        if (inTransaction()) {
            // The COPY holds the transaction's connection while the stream is read: any other statement of the
            // transaction would wait for it, and closing early would have to cancel it, aborting the transaction.
            throw new InvalidDataAccessApiUsageException("A COPY out of mapped rows holds its connection while the "
                    + "stream is read and cannot run inside a transaction; use stream(...) there, or copyOut to an "
                    + "OutputStream");
        }
        String select = copyQuery(query);
        String sql = copyOutSql(select, CopyFormat.binary());
        HookContext hook = this.runner.hooks().start(Operation.COPY, "copyOut", sql, 0, null);
        Connection connection = this.runner.connection(true, hook);
        MappedCopy copy = new MappedCopy(sql, connection, hook);
        try {
            if (hook != null) {
                this.runner.before(hook, connection, 1);
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
                        RuntimeException failure = translate("copyOut", sql, ex, 1, false);
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
            RuntimeException failure = translate("copyOut", sql, ex, 1, false);
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
                failure = translate("copyOut close", this.sql, ex, 1, false);
            }
            finally {
                if (this.began) {
                    CopyRunner.this.runner.hooks().after(this.hook, this.count,
                            (this.failure != null) ? this.failure : failure);
                }
                if (!reusable || (this.failure != null && TransientErrors.isConnectionLoss(this.failure))) {
                    discard(this.connection);
                }
                CopyRunner.this.runner.release(this.connection);
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

    // ---------------------------------------------------------------------------------------------------------
    // one COPY in a transaction

    /**
     * Runs one {@code COPY} in a transaction: the caller's when one is bound to the thread, else one of its own on
     * the primary. A failure before the first row was read is retried like any call; after that the source cannot
     * be read again, so the failure goes to the caller (the transaction rolled back, or, when its commit was lost,
     * was found committed or reported as unknown).
     */
    private CopyResult atomic(Statement statement, Progress progress, long bufferBytes, boolean repeatable,
            CopyWork work) {
        Attempt state = new Attempt();
        state.bufferBytes = bufferBytes;
        long rows;
        try {
            rows = atomicRows(statement, repeatable, work, state);
        }
        catch (RuntimeException | Error ex) {
            // the listener hears of the end of a failed load too
            try {
                progress.finish();
            }
            catch (RuntimeException listener) {
                ex.addSuppressed(listener);
            }
            throw ex;
        }
        progress.committed(rows);
        progress.finish();
        return new CopyResult(rows, progress.bytes(), progress.elapsed(), List.of());
    }

    private long atomicRows(Statement statement, boolean repeatable, CopyWork work, Attempt state) {
        long rows;
        if (inTransaction()) {
            if (!repeatable) {
                // the caller's transaction, if it is retried, would find the source already read
                this.runner.transactions().markUnrepeatable();
            }
            rows = sendInTransaction(statement, work, state, 1, 1);
        }
        else if (!this.runner.retrying()) {
            rows = this.runner.inTransaction(WRITE, false, (status) -> sendInTransaction(statement, work, state, 1, 1));
        }
        else {
            rows = this.runner.retrier().run("copyIn", (attempt) -> {
                try {
                    return this.runner.transactions().runOnce(WRITE,
                            (status) -> sendInTransaction(statement, work, state, attempt, 1));
                }
                catch (RuntimeException ex) {
                    throw state.consumed ? Retrier.doNotRetry(ex) : ex;
                }
            });
        }
        return rows;
    }

    /**
     * Runs one {@code COPY} on the connection of the transaction bound to the thread, between the {@code COPY}
     * hooks.
     */
    private long sendInTransaction(Statement statement, CopyWork work, Attempt state, int attemptNumber,
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
            RuntimeException failure = translate(task, statement.sql, ex, firstRow, statement.format != null);
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

    private RuntimeException translate(String task, String sql, SQLException ex, long firstRow, boolean lines) {
        if (ex instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
            return this.errors.translateCopy(task, sql, ex, firstRow, lines);
        }
        // no answer from the server: a lost connection, which the routing may describe as a failover
        return this.runner.failure(task, sql, ex, null, null);
    }

    /** Ends a {@code COPY} that failed on the client's side, so the server rolls back what it received. */
    private static void cancel(@Nullable CopyIn copy, Throwable failure) {
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

    private static CopyIn copyIn(Connection connection, String sql) throws SQLException {
        return connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    }

    private boolean inTransaction() {
        return TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(this.runner.dataSource()) != null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // per-chunk loading

    /**
     * One per-chunk load. The caller's thread reads and encodes; each encoded chunk goes to a sender thread,
     * which sends it in a transaction of its own through {@link PostgresTemplate#inTransaction}, so a transient
     * failure sends the same bytes again and a lost commit is checked before anything is sent twice.
     */
    private final class ChunkedLoad {

        private final Statement statement;

        private final Iterator<?> rows;

        private final CopyOptions options;

        private final Progress progress;

        private final List<CopyChunk> chunks = new ArrayList<>();

        private final AtomicReference<@Nullable Failed> failure = new AtomicReference<>();

        private final AtomicLong committedRows = new AtomicLong();

        /**
         * Whether a chunk failed on its way to the server. Chunks encoded before a failure of the source are good
         * and still sent; after a chunk failed, those waiting are not.
         */
        private volatile boolean sendFailed;

        ChunkedLoad(Statement statement, Iterator<?> rows, CopyOptions options, Progress progress) {
            this.statement = statement;
            this.rows = rows;
            this.options = options;
            this.progress = progress;
        }

        CopyResult run() {
            List<CopyColumn> types = lookup();
            RowEncoder rowEncoder = new RowEncoder(types, CopyRunner.this.runner.rowMappers().json());
            int parallelism = this.options.parallelism();
            BlockingQueue<BinaryCopyEncoder> free = new ArrayBlockingQueue<>(parallelism + 1);
            int initial = (int) Math.min(MAX_CHUNK_BYTES, Math.max(64 * 1024, this.options.chunkRows() * 64L));
            for (int i = 0; i <= parallelism; i++) {
                free.add(new BinaryCopyEncoder(initial));
            }
            int load = LOADS.incrementAndGet();
            AtomicInteger threads = new AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(parallelism, (task) -> {
                Thread thread = new Thread(task, "nexs-copy-" + load + "-" + threads.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            long number = 0;
            int index = 0;
            try {
                while (this.failure.get() == null && hasNext(index, number)) {
                    BinaryCopyEncoder encoder = free.take();
                    if (this.failure.get() != null) {
                        free.add(encoder);
                        break;
                    }
                    encoder.clear();
                    encoder.header();
                    long first = number + 1;
                    int count = 0;
                    try {
                        while (count < this.options.chunkRows() && encoder.size() < MAX_CHUNK_BYTES
                                && this.rows.hasNext()) {
                            rowEncoder.write(encoder, this.rows.next(), ++number);
                            count++;
                            if ((count & 1023) == 0) {
                                this.progress.rowsRead(number);
                                this.progress.tick();
                            }
                        }
                    }
                    catch (RuntimeException ex) {
                        // a bad row: its chunk is not sent, and loading stops
                        CopyChunk bad = new CopyChunk(index, first, number - first + 1, 0, CopyChunk.Status.NOT_LOADED);
                        record(bad);
                        this.failure.compareAndSet(null, new Failed(bad, ex));
                        free.add(encoder);
                        break;
                    }
                    encoder.trailer();
                    Chunk chunk = new Chunk(index++, first, count, encoder);
                    senders.execute(() -> send(chunk, free));
                    this.progress.rowsRead(number);
                    tick(index, number);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                this.failure.compareAndSet(null, new Failed(new CopyChunk(index, number + 1, 0, 0,
                        CopyChunk.Status.NOT_LOADED), new IllegalStateException("Interrupted while waiting for a "
                                + "chunk buffer", ex)));
            }
            finally {
                senders.shutdown();
                awaitSenders(senders);
            }
            this.progress.committed(this.committedRows.get());
            this.progress.finish();
            List<CopyChunk> all;
            synchronized (this.chunks) {
                all = new ArrayList<>(this.chunks);
            }
            all.sort(Comparator.comparingInt(CopyChunk::index));
            CopyResult result = new CopyResult(this.committedRows.get(), this.progress.bytes(),
                    this.progress.elapsed(), all);
            Failed failed = this.failure.get();
            if (failed != null) {
                throw new PartialCopyException(result, failed.chunk, failed.cause);
            }
            return result;
        }

        /** Whether the source has another row; a source that fails stops the load like a bad row. */
        private boolean hasNext(int index, long number) {
            try {
                return this.rows.hasNext();
            }
            catch (RuntimeException ex) {
                this.failure.compareAndSet(null, new Failed(new CopyChunk(index, number + 1, 0, 0,
                        CopyChunk.Status.NOT_LOADED), ex));
                return false;
            }
        }

        /** Reports progress; a listener that fails stops the load like a bad row. */
        private void tick(int index, long number) {
            try {
                this.progress.tick();
            }
            catch (RuntimeException ex) {
                this.failure.compareAndSet(null, new Failed(new CopyChunk(index, number + 1, 0, 0,
                        CopyChunk.Status.NOT_LOADED), ex));
            }
        }

        private List<CopyColumn> lookup() {
            Connection connection = CopyRunner.this.runner.connection(false, null);
            try {
                return CopyColumn.lookup(connection, this.statement.table, this.statement.columns);
            }
            catch (SQLException ex) {
                throw translate("copyIn", this.statement.sql, ex, 1, false);
            }
            finally {
                CopyRunner.this.runner.release(connection);
            }
        }

        private void send(Chunk chunk, BlockingQueue<BinaryCopyEncoder> free) {
            Attempt state = new Attempt();
            state.bufferBytes = chunk.encoder.capacity();
            int[] attempts = { 0 };
            try {
                if (this.sendFailed) {
                    // a chunk failed on the server while this one waited: loading stops, this one is not sent
                    return;
                }
                long rows = CopyRunner.this.runner.inTransaction(WRITE, false, (status) -> {
                    attempts[0]++;
                    return sendInTransaction(this.statement, (connection, attempt) -> {
                        CopyIn copy = copyIn(connection, this.statement.sql);
                        attempt.copy = copy;
                        copy.writeToCopy(chunk.encoder.buffer(), 0, chunk.encoder.size());
                        attempt.sent(this.progress, chunk.encoder.size());
                        return copy.endCopy();
                    }, state, attempts[0], chunk.firstRow);
                });
                this.progress.committed(this.committedRows.addAndGet(rows));
                record(new CopyChunk(chunk.index, chunk.firstRow, chunk.rows, attempts[0],
                        CopyChunk.Status.COMMITTED));
            }
            catch (RuntimeException | Error ex) {
                // a lost commit the check could not settle may have committed: the caller must not load it again
                // blindly
                CopyChunk failed = new CopyChunk(chunk.index, chunk.firstRow, chunk.rows, attempts[0],
                        (ex instanceof CommitOutcomeUnknownException) ? CopyChunk.Status.UNKNOWN
                                : CopyChunk.Status.NOT_LOADED);
                this.sendFailed = true;
                record(failed);
                this.failure.compareAndSet(null, new Failed(failed, ex));
            }
            finally {
                free.add(chunk.encoder);
            }
        }

        private void record(CopyChunk chunk) {
            synchronized (this.chunks) {
                this.chunks.add(chunk);
            }
        }

        private void awaitSenders(ExecutorService senders) {
            boolean interrupted = false;
            while (true) {
                try {
                    if (senders.awaitTermination(1, TimeUnit.SECONDS)) {
                        break;
                    }
                }
                catch (InterruptedException ex) {
                    // the chunks in flight finish: their outcome belongs in the result
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

    }

    private record Chunk(int index, long firstRow, long rows, BinaryCopyEncoder encoder) {
    }

    private record Failed(CopyChunk chunk, Throwable cause) {
    }

    /** The columns of a load and how to write a row of the application into them. */
    private static final class RowEncoder {

        private final List<CopyColumn> types;

        private final CopyColumn[] columns;

        private final RowValues values;

        private final @Nullable Object[] row;

        private final @Nullable JsonCodec json;

        /** Which columns take an object through the JSON codec, worked out once rather than per value. */
        private final boolean[] jsonColumns;

        RowEncoder(List<CopyColumn> types, @Nullable JsonCodec json) {
            this.json = json;
            this.jsonColumns = new boolean[types.size()];
            for (int i = 0; i < this.jsonColumns.length; i++) {
                this.jsonColumns[i] = json != null && types.get(i).isJson();
            }
            this.types = types;
            this.columns = types.toArray(new CopyColumn[0]);
            this.values = new RowValues(types.stream().map(CopyColumn::name).toList());
            this.row = new Object[this.columns.length];
        }

        /** Writes a row, or nothing when one of its values is refused. */
        void write(BinaryCopyEncoder encoder, Object row, long number) {
            this.values.read(row, number, this.row);
            int mark = encoder.mark();
            try {
                encoder.row(this.columns.length);
                for (int i = 0; i < this.columns.length; i++) {
                    CopyColumn column = this.columns[i];
                    Object value = this.row[i];
                    if (this.jsonColumns[i] && value != null && !(value instanceof String)) {
                        value = toJson(column, value, number);
                    }
                    column.write(encoder, value, number);
                }
            }
            catch (RuntimeException ex) {
                encoder.rewind(mark);
                throw ex;
            }
        }

        /** An object for a json column, written by the application's JSON codec. */
        private String toJson(CopyColumn column, Object value, long number) {
            try {
                return this.json.write(value);
            }
            catch (RuntimeException ex) {
                // the codec's message may quote the value
                throw new CopyValueException(number, column.name(), column.type(), value.getClass(),
                        new IllegalArgumentException("it could not be written as JSON ("
                                + ex.getClass().getSimpleName() + ")"));
            }
        }

        @Override
        public String toString() {
            return "RowEncoder" + this.types;
        }

    }

    /** What one attempt of a {@code COPY} did, for the decision to retry and for cancelling. */
    private static final class Attempt {

        volatile boolean consumed;

        @Nullable CopyIn copy;

        long bufferBytes;

        /** Bytes this {@code COPY} statement sent or wrote. */
        long bytes;

        void sent(Progress progress, long count) {
            this.bytes += count;
            progress.sent(count);
        }

        /** A {@code COPY} out that was sent and may have written: not to be sent again after a lost connection. */
        volatile boolean unrepeatable;

    }

    @FunctionalInterface
    private interface CopyWork {

        long send(Connection connection, Attempt attempt) throws SQLException;

    }

    /** A {@code COPY} statement built from checked identifiers. */
    private static final class Statement {

        final SqlIdentifier table;

        final List<SqlIdentifier> columns;

        final String sql;

        final @Nullable CopyFormat format;

        private Statement(SqlIdentifier table, List<SqlIdentifier> columns, String sql, @Nullable CopyFormat format) {
            this.table = table;
            this.columns = columns;
            this.sql = sql;
            this.format = format;
        }

        static Statement of(String table, List<String> columns, CopyFormat binary) {
            Statement statement = of(table, columns, binary.toSql(false), null);
            if (statement.columns.isEmpty()) {
                throw new IllegalArgumentException("A COPY of objects names its columns: none were given for "
                        + statement.table);
            }
            return statement;
        }

        static Statement of(String table, List<String> columns, String options, @Nullable CopyFormat format) {
            SqlIdentifier name = SqlIdentifier.table(table);
            List<SqlIdentifier> parsed = new ArrayList<>(columns.size());
            Set<SqlIdentifier> seen = new HashSet<>();
            for (String column : columns) {
                SqlIdentifier identifier = SqlIdentifier.column(column);
                if (!seen.add(identifier)) {
                    throw new IllegalArgumentException("The column " + identifier + " is named twice in the COPY "
                            + "into " + name);
                }
                parsed.add(identifier);
            }
            StringBuilder sql = new StringBuilder("COPY ").append(name.toSql());
            if (!parsed.isEmpty()) {
                sql.append(" (");
                for (int i = 0; i < parsed.size(); i++) {
                    sql.append((i > 0) ? ", " : "").append(parsed.get(i).toSql());
                }
                sql.append(')');
            }
            sql.append(" FROM STDIN ").append(options);
            return new Statement(name, List.copyOf(parsed), sql.toString(), format);
        }

    }

    /**
     * The progress of one load: reported to the listener every interval and at the end, and logged every
     * {@link #LOG_INTERVAL} of a long load. Counters are updated by sender threads too; reports are made on the
     * reading thread.
     */
    private static final class Progress {

        private final SqlIdentifier table;

        private final CopyOptions options;

        private final long expected;

        private final long start = System.nanoTime();

        private final long interval;

        private long nextReport;

        private long nextLog;

        private final AtomicLong bytes = new AtomicLong();

        private volatile long rows;

        private final AtomicLong committed = new AtomicLong();

        Progress(SqlIdentifier table, CopyOptions options, long expected) {
            this.table = table;
            this.options = options;
            this.expected = expected;
            this.interval = options.progressInterval().toNanos();
            this.nextReport = this.start + this.interval;
            this.nextLog = this.start + LOG_INTERVAL.toNanos();
        }

        void sent(long count) {
            this.bytes.addAndGet(count);
        }

        void rowsRead(long rows) {
            this.rows = rows;
        }

        void committed(long rows) {
            this.committed.accumulateAndGet(rows, Math::max);
        }

        long bytes() {
            return this.bytes.get();
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - this.start);
        }

        void tick() {
            long now = System.nanoTime();
            if (now >= this.nextReport && this.options.progressListener() != null) {
                this.nextReport = now + this.interval;
                this.options.progressListener().onProgress(snapshot(now, false));
            }
            if (now >= this.nextLog) {
                this.nextLog = now + LOG_INTERVAL.toNanos();
                if (logger.isInfoEnabled()) {
                    log(snapshot(now, false), "COPY into {}: {} rows read, {} committed, {} MB sent, {} rows/s{}");
                }
            }
        }

        void finish() {
            long now = System.nanoTime();
            CopyProgress last = snapshot(now, true);
            if (this.options.progressListener() != null) {
                this.options.progressListener().onProgress(last);
            }
            if (now - this.start >= LOG_INTERVAL.toNanos() && logger.isInfoEnabled()) {
                log(last, "COPY into {} done: {} rows read, {} committed, {} MB sent, {} rows/s{}");
            }
        }

        private void log(CopyProgress progress, String format) {
            String eta = progress.eta().map((left) -> ", " + left.toSeconds() + " s left").orElse("");
            logger.info(format, this.table, progress.rows(), this.committed.get(),
                    String.format("%.1f", progress.bytes() / 1048576.0), Math.round(progress.rowsPerSecond()), eta);
        }

        private CopyProgress snapshot(long now, boolean done) {
            long read = done ? Math.max(this.rows, this.committed.get()) : this.rows;
            return new CopyProgress(read, this.bytes.get(), Duration.ofNanos(now - this.start), this.expected, done);
        }

    }

}
