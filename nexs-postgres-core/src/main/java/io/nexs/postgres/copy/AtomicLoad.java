package io.nexs.postgres.copy;

import java.io.IOException;
import java.io.InputStream;
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
import java.sql.SQLException;
import java.util.Iterator;
import java.util.List;

import io.nexs.postgres.tx.Retrier;
import org.jspecify.annotations.Nullable;
import org.postgresql.copy.CopyIn;

import org.springframework.dao.InvalidDataAccessApiUsageException;

/**
 * Loads into a table: rows of objects encoded in PostgreSQL's binary format into a reused buffer and streamed to
 * the primary, or CSV and text streams passed through, in one transaction on the caller's thread, so memory holds
 * one buffer whatever the number of rows. A load of rows in {@link CopyMode#PER_CHUNK} mode is handed to
 * {@link ChunkedLoad}.
 */
final class AtomicLoad {

    /** An atomic load sends what it encoded once this much is buffered. */
    static final int FLUSH_BYTES = 256 * 1024;

    /** The buffer of an atomic load: the flush size and room for the row that crosses it. */
    private static final int ATOMIC_BUFFER_BYTES = FLUSH_BYTES + 64 * 1024;

    /** The buffers of a load from a text stream: bytes, and characters of two bytes each. */
    private static final int TEXT_BUFFER_BYTES = 64 * 1024 + 2 * 16 * 1024;


    private final CopyExecution execution;

    AtomicLoad(CopyExecution execution) {
        this.execution = execution;
    }

    // ---------------------------------------------------------------------------------------------------------
    // COPY in from objects

    CopyResult copyIn(String table, List<String> columns, Iterator<?> rows, CopyOptions options, long knownSize,
            boolean repeatable) {
        CopyStatement statement = CopyStatement.of(table, columns, CopyFormat.binary());
        long expected = (options.expectedRows() >= 0) ? options.expectedRows() : knownSize;
        LoadProgress progress = new LoadProgress(statement.table, options, expected);
        if (options.mode() == CopyMode.ATOMIC) {
            if (options.parallelism() > 1) {
                throw new InvalidDataAccessApiUsageException("An atomic COPY loads in one transaction, on one "
                        + "connection: parallelism " + options.parallelism() + " needs CopyMode.PER_CHUNK, where each "
                        + "chunk commits on its own");
            }
            return atomic(statement, progress, ATOMIC_BUFFER_BYTES, repeatable, (connection, attempt) -> sendRows(
                    connection, statement, rows, progress, attempt));
        }
        if (this.execution.inTransaction()) {
            throw new InvalidDataAccessApiUsageException("A PER_CHUNK COPY commits each chunk on its own and cannot "
                    + "run inside a transaction; use CopyMode.ATOMIC to load in the transaction");
        }
        return new ChunkedLoad(this.execution, statement, rows, options, progress).run();
    }

    /** Streams rows into one {@code COPY} on the connection, flushing every {@link #FLUSH_BYTES}. */
    private long sendRows(Connection connection, CopyStatement statement, Iterator<?> rows, LoadProgress progress,
            CopyAttempt attempt) throws SQLException {
        List<CopyColumn> types = CopyColumn.lookup(connection, statement.table, statement.columns);
        RowEncoder rowEncoder = new RowEncoder(types, this.execution.runner().rowMappers().json());
        BinaryCopyEncoder encoder = new BinaryCopyEncoder(ATOMIC_BUFFER_BYTES);
        CopyIn copy = CopyExecution.copyIn(connection, statement.sql);
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
        CopyStatement statement = CopyStatement.of(table, columns, format.toSql(input != null), format);
        LoadProgress progress = new LoadProgress(statement.table, options, options.expectedRows());
        return atomic(statement, progress, (input != null) ? 64 * 1024 : TEXT_BUFFER_BYTES, false,
                (connection, attempt) -> {
            CopyIn copy = CopyExecution.copyIn(connection, statement.sql);
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
    private static void sendText(CopyIn copy, @Nullable Reader reader, LoadProgress progress, CopyAttempt attempt)
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

    private static void drain(CopyIn copy, ByteBuffer bytes, LoadProgress progress, CopyAttempt attempt)
            throws SQLException {
        if (bytes.position() > 0) {
            copy.writeToCopy(bytes.array(), 0, bytes.position());
            attempt.sent(progress, bytes.position());
            bytes.clear();
            progress.tick();
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
    private CopyResult atomic(CopyStatement statement, LoadProgress progress, long bufferBytes, boolean repeatable,
            CopyWork work) {
        CopyAttempt state = new CopyAttempt();
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

    private long atomicRows(CopyStatement statement, boolean repeatable, CopyWork work, CopyAttempt state) {
        long rows;
        if (this.execution.inTransaction()) {
            if (!repeatable) {
                // the caller's transaction, if it is retried, would find the source already read
                this.execution.runner().transactions().markUnrepeatable();
            }
            rows = this.execution.sendInTransaction(statement, work, state, 1, 1);
        }
        else if (!this.execution.runner().retrying()) {
            rows = this.execution.runner().inTransaction(CopyExecution.WRITE, false, (status) -> this.execution.sendInTransaction(statement, work, state, 1, 1));
        }
        else {
            rows = this.execution.runner().retrier().run("copyIn", (attempt) -> {
                try {
                    return this.execution.runner().transactions().runOnce(CopyExecution.WRITE,
                            (status) -> this.execution.sendInTransaction(statement, work, state, attempt, 1));
                }
                catch (RuntimeException ex) {
                    throw state.consumed ? Retrier.doNotRetry(ex) : ex;
                }
            });
        }
        return rows;
    }
}
