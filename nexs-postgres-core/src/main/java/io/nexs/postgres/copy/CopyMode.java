package io.nexs.postgres.copy;

/**
 * What a failure of a {@code COPY} in undoes.
 */
public enum CopyMode {

    /**
     * All rows in one transaction: a failure anywhere rolls back every row, and nothing is half-written. Inside a
     * transaction of the caller the rows join it; when the source can be read only once (a stream, an iterator, a
     * reader), a retrying {@code inTransaction} around it then does not run again after a failure. Loads on one
     * connection. The server reports a row it refuses when the {@code COPY} ends, so a bad row fails the load
     * after the whole source was read and sent.
     */
    ATOMIC,

    /**
     * Each chunk of {@link CopyOptions#chunkRows()} rows in a transaction of its own, so a long load keeps what it
     * committed: a chunk that fails on a transient error (a lost connection, a failover, a serialization failure)
     * is sent again under the retry policy, with a commit lost on the way checked before anything is sent twice;
     * a chunk with a bad row fails, loading stops, and {@link PartialCopyException#getResult()} lists the chunks
     * that committed (and, rarely, one whose lost commit could not be settled: {@link CopyChunk.Status#UNKNOWN}).
     * Chunks read before a failure of the source are still loaded; after a chunk failed on the server, those waiting
     * are not. May load over several connections at once ({@link CopyOptions#parallelism()}). Cannot run inside a
     * transaction of the caller.
     */
    PER_CHUNK

}
