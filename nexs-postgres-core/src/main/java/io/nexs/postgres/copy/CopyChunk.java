package io.nexs.postgres.copy;

/**
 * One chunk of a {@link CopyMode#PER_CHUNK} load: a run of consecutive rows of the source, loaded in one
 * transaction.
 *
 * @param index the chunk's number, from 0, in the order of the source
 * @param firstRow the number of its first row in the source, from 1
 * @param rows how many rows it holds
 * @param attempts how many times it was sent
 * @param status whether its rows are in the table
 */
public record CopyChunk(int index, long firstRow, long rows, int attempts, Status status) {

    /**
     * Whether its transaction committed.
     * @return whether its rows are in the table
     */
    public boolean committed() {
        return this.status == Status.COMMITTED;
    }

    /**
     * The number of its last row in the source.
     * @return {@code firstRow + rows - 1}
     */
    public long lastRow() {
        return this.firstRow + this.rows - 1;
    }

    /** Whether a chunk's rows are in the table. */
    public enum Status {

        /** Its transaction committed. */
        COMMITTED,

        /** It was not loaded: a bad row, a failure that outlasted the retries, or loading stopped before it. */
        NOT_LOADED,

        /**
         * The connection was lost during its COMMIT and the outcome check could not tell whether it committed:
         * look at the table before loading it again.
         */
        UNKNOWN

    }

}
