package io.nexs.postgres.copy;

import java.time.Duration;
import java.util.List;

/**
 * What a {@code COPY} in loaded.
 *
 * @param rows the rows committed (in an {@link CopyMode#ATOMIC} load inside a caller's transaction: written in it)
 * @param bytes the bytes sent to the server, retries included
 * @param duration how long the load took
 * @param chunks in a {@link CopyMode#PER_CHUNK} load, every chunk that was sent, in source order, with whether it
 * committed; empty for an atomic load
 */
public record CopyResult(long rows, long bytes, Duration duration, List<CopyChunk> chunks) {

    /**
     * Copies the chunk list.
     * @param rows the rows
     * @param bytes the bytes
     * @param duration the duration
     * @param chunks the chunks
     */
    public CopyResult {
        chunks = List.copyOf(chunks);
    }

    /**
     * The chunks whose transaction committed.
     * @return those chunks, in source order
     */
    public List<CopyChunk> committedChunks() {
        return this.chunks.stream().filter(CopyChunk::committed).toList();
    }

    /**
     * Rows per second over the whole load.
     * @return the rate
     */
    public double rowsPerSecond() {
        long nanos = this.duration.toNanos();
        return (nanos > 0) ? this.rows * 1e9 / nanos : 0;
    }

}
