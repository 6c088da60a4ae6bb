package io.nexs.postgres.copy;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.nexs.postgres.error.OutcomeUnknownException;
import org.jspecify.annotations.Nullable;
import org.postgresql.copy.CopyIn;

/**
 * One per-chunk load. The caller's thread reads and encodes; each encoded chunk goes to a sender thread, which
 * sends it in a transaction of its own through the execution path, so a transient failure sends the same bytes
 * again and a lost commit is checked before anything is sent twice. A fixed set of chunk buffers, one more than
 * the threads, bounds memory and makes the reader wait when the server is slower.
 */
final class ChunkedLoad {

    /** A chunk ends early once its rows take this much, so wide rows do not make chunk buffers huge. */
    static final int MAX_CHUNK_BYTES = 8 * 1024 * 1024;

    private static final AtomicInteger LOADS = new AtomicInteger();

    private final CopyExecution execution;


    private final CopyStatement statement;

    private final Iterator<?> rows;

    private final CopyOptions options;

    private final LoadProgress progress;

    private final List<CopyChunk> chunks = new ArrayList<>();

    private final AtomicReference<@Nullable Failed> failure = new AtomicReference<>();

    private final AtomicLong committedRows = new AtomicLong();

    /**
     * Whether a chunk failed on its way to the server. Chunks encoded before a failure of the source are good
     * and still sent; after a chunk failed, those waiting are not.
     */
    private volatile boolean sendFailed;

    ChunkedLoad(CopyExecution execution, CopyStatement statement, Iterator<?> rows, CopyOptions options,
            LoadProgress progress) {
        this.execution = execution;
        this.statement = statement;
        this.rows = rows;
        this.options = options;
        this.progress = progress;
    }

    CopyResult run() {
        List<CopyColumn> types = lookup();
        RowEncoder rowEncoder = new RowEncoder(types, this.execution.runner().rowMappers().json());
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
        Connection connection = this.execution.runner().connection(false, null);
        try {
            return CopyColumn.lookup(connection, this.statement.table, this.statement.columns);
        }
        catch (SQLException ex) {
            throw this.execution.translate("copyIn", this.statement.sql, ex, 1, false, connection);
        }
        finally {
            this.execution.runner().release(connection);
        }
    }

    private void send(Chunk chunk, BlockingQueue<BinaryCopyEncoder> free) {
        CopyAttempt state = new CopyAttempt();
        state.bufferBytes = chunk.encoder.capacity();
        int[] attempts = { 0 };
        try {
            if (this.sendFailed) {
                // a chunk failed on the server while this one waited: loading stops, this one is not sent
                return;
            }
            long rows = this.execution.runner().inTransaction(CopyExecution.WRITE, false, (status) -> {
                attempts[0]++;
                return this.execution.sendInTransaction(this.statement, (connection, attempt) -> {
                    CopyIn copy = CopyExecution.copyIn(connection, this.statement.sql);
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
                    (ex instanceof OutcomeUnknownException) ? CopyChunk.Status.UNKNOWN
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


    private record Chunk(int index, long firstRow, long rows, BinaryCopyEncoder encoder) {
    }

    private record Failed(CopyChunk chunk, Throwable cause) {
    }

}
