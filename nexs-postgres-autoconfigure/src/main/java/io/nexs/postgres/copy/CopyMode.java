package io.nexs.postgres.copy;

/**
 * What a failure of a {@code COPY} in undoes.
 */
public enum CopyMode {

    /**
     * All rows in one transaction: a failure anywhere rolls back every row, and nothing is half-written. Inside a
     * transaction of the caller the rows join it. Loads on one connection.
     */
    ATOMIC,

    /**
     * Each chunk of {@link CopyOptions#chunkRows()} rows in a transaction of its own, so a long load keeps what it
     * committed: a chunk that fails on a transient error (a lost connection, a failover, a serialization failure)
     * is sent again under the retry policy, with a commit lost on the way checked before anything is sent twice;
     * a chunk with a bad row fails, loading stops, and {@link PartialCopyException#getResult()} lists the chunks
     * that committed. May load over several connections at once ({@link CopyOptions#parallelism()}). Cannot run
     * inside a transaction of the caller.
     */
    PER_CHUNK

}
