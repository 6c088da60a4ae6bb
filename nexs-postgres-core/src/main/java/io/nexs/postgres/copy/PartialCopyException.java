package io.nexs.postgres.copy;

import org.springframework.dao.DataAccessException;

/**
 * A {@link CopyMode#PER_CHUNK} load stopped at a chunk that failed for good: a bad row, or a transient failure
 * that outlasted the retries. The chunks that committed stay committed; {@link #getResult()} lists every chunk that
 * was sent with its {@link CopyChunk.Status}. With parallelism above 1, chunks after the failed one may have
 * committed too: to resume, load again from the first row of the lowest chunk that did not commit, leaving out the
 * rows of the chunks listed as committed, and look at the table for a chunk whose status is
 * {@link CopyChunk.Status#UNKNOWN}. The cause is the chunk's failure, which names the row and column of a bad
 * value.
 */
public class PartialCopyException extends DataAccessException {

    private final transient CopyResult result;

    private final transient CopyChunk failedChunk;

    /**
     * Creates the exception.
     * @param result what was loaded; its chunks say which committed
     * @param failedChunk the chunk that failed
     * @param cause why it failed
     */
    public PartialCopyException(CopyResult result, CopyChunk failedChunk, Throwable cause) {
        super("COPY stopped at chunk " + failedChunk.index() + " (rows " + failedChunk.firstRow() + " to "
                + failedChunk.lastRow() + "): " + cause.getMessage() + ". " + result.committedChunks().size()
                + " chunks with " + result.rows() + " rows committed; see getResult()", cause);
        this.result = result;
        this.failedChunk = failedChunk;
    }

    /**
     * What was loaded before loading stopped.
     * @return the result, listing the committed chunks
     */
    public CopyResult getResult() {
        return this.result;
    }

    /**
     * The chunk that failed.
     * @return the chunk
     */
    public CopyChunk getFailedChunk() {
        return this.failedChunk;
    }

}
