package io.nexs.postgres.copy;

/**
 * One chunk of a {@link CopyMode#PER_CHUNK} load: a run of consecutive rows of the source, loaded in one
 * transaction.
 *
 * @param index the chunk's number, from 0, in the order of the source
 * @param firstRow the number of its first row in the source, from 1
 * @param rows how many rows it holds
 * @param attempts how many times it was sent
 * @param committed whether its transaction committed
 */
public record CopyChunk(int index, long firstRow, long rows, int attempts, boolean committed) {

    /**
     * The number of its last row in the source.
     * @return {@code firstRow + rows - 1}
     */
    public long lastRow() {
        return this.firstRow + this.rows - 1;
    }

}
