package io.nexs.postgres.copy;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How a {@code COPY} in loads its rows. Immutable; each {@code with...} method returns a copy.
 * <pre>{@code
 * CopyOptions parallel = CopyOptions.defaults()
 *         .withMode(CopyMode.PER_CHUNK).withParallelism(4).withChunkRows(50_000)
 *         .withProgress(Duration.ofSeconds(5), (p) -> log.info("{} rows, eta {}", p.rows(), p.eta()));
 * }</pre>
 *
 * @param mode what a failure undoes; see {@link CopyMode}
 * @param parallelism how many connections load chunks at once; above 1 only in {@link CopyMode#PER_CHUNK}
 * mode, where the rows then arrive in no particular order
 * @param chunkRows rows per chunk in {@link CopyMode#PER_CHUNK} mode
 * @param progressInterval how often the listener hears of progress
 * @param progressListener hears of progress, or {@code null}
 * @param expectedRows the rows the source holds, for the time left, or {@code -1} when not known (the size of a
 * collection is used when this is not set)
 */
public record CopyOptions(CopyMode mode, int parallelism, int chunkRows, Duration progressInterval,
        @Nullable CopyProgressListener progressListener, long expectedRows) {

    /** Connections a single load may use at most. */
    public static final int MAX_PARALLELISM = 64;

    /** Rows per chunk unless set. */
    public static final int DEFAULT_CHUNK_ROWS = 50_000;

    private static final CopyOptions DEFAULTS = new CopyOptions(CopyMode.ATOMIC, 1, DEFAULT_CHUNK_ROWS,
            Duration.ofSeconds(1), null, -1);

    /**
     * Checks the options.
     * @param mode the mode
     * @param parallelism the connections at once
     * @param chunkRows rows per chunk
     * @param progressInterval how often progress is reported
     * @param progressListener the listener, or {@code null}
     * @param expectedRows the total, or {@code -1}
     */
    public CopyOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(progressInterval, "progressInterval");
        if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
            throw new IllegalArgumentException("The COPY parallelism must be between 1 and " + MAX_PARALLELISM
                    + ", not " + parallelism);
        }
        if (chunkRows < 1) {
            throw new IllegalArgumentException("The COPY chunk must hold at least 1 row, not " + chunkRows);
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("The COPY progress interval must be positive, not " + progressInterval);
        }
        if (expectedRows < -1) {
            throw new IllegalArgumentException("The expected rows must be -1 (unknown) or more, not " + expectedRows);
        }
    }

    /**
     * Atomic, one connection, chunks of {@value #DEFAULT_CHUNK_ROWS} rows, progress every second to no listener.
     * @return the default options
     */
    public static CopyOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A copy with another mode.
     * @param mode the mode
     * @return the copy
     */
    public CopyOptions withMode(CopyMode mode) {
        return new CopyOptions(mode, this.parallelism, this.chunkRows, this.progressInterval, this.progressListener,
                this.expectedRows);
    }

    /**
     * A copy loading over this many connections at once.
     * @param parallelism from 1 to {@value #MAX_PARALLELISM}
     * @return the copy
     */
    public CopyOptions withParallelism(int parallelism) {
        return new CopyOptions(this.mode, parallelism, this.chunkRows, this.progressInterval, this.progressListener,
                this.expectedRows);
    }

    /**
     * A copy with another chunk size.
     * @param chunkRows rows per chunk
     * @return the copy
     */
    public CopyOptions withChunkRows(int chunkRows) {
        return new CopyOptions(this.mode, this.parallelism, chunkRows, this.progressInterval, this.progressListener,
                this.expectedRows);
    }

    /**
     * A copy reporting progress to a listener.
     * @param interval how often
     * @param listener the listener
     * @return the copy
     */
    public CopyOptions withProgress(Duration interval, CopyProgressListener listener) {
        return new CopyOptions(this.mode, this.parallelism, this.chunkRows, interval,
                Objects.requireNonNull(listener, "listener"), this.expectedRows);
    }

    /**
     * A copy that knows how many rows the source holds, for the time left.
     * @param expectedRows the total
     * @return the copy
     */
    public CopyOptions withExpectedRows(long expectedRows) {
        return new CopyOptions(this.mode, this.parallelism, this.chunkRows, this.progressInterval,
                this.progressListener, expectedRows);
    }

}
