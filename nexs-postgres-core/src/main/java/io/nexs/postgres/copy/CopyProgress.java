package io.nexs.postgres.copy;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How far a {@code COPY} in has come.
 *
 * @param rows the rows read from the source and sent so far
 * @param bytes the bytes sent so far
 * @param elapsed the time since the load began
 * @param expectedRows the rows the source holds, when known (a collection, or
 * {@link CopyOptions#withExpectedRows(long)}); {@code -1} otherwise
 * @param done whether this is the last report of the load
 */
public record CopyProgress(long rows, long bytes, Duration elapsed, long expectedRows, boolean done) {

    /**
     * Rows per second since the load began.
     * @return the rate, 0 before any time has passed
     */
    public double rowsPerSecond() {
        long nanos = this.elapsed.toNanos();
        return (nanos > 0) ? this.rows * 1e9 / nanos : 0;
    }

    /**
     * Bytes per second since the load began.
     * @return the rate, 0 before any time has passed
     */
    public double bytesPerSecond() {
        long nanos = this.elapsed.toNanos();
        return (nanos > 0) ? this.bytes * 1e9 / nanos : 0;
    }

    /**
     * The rows the source holds.
     * @return the total, or empty when not known
     */
    public OptionalLong expected() {
        return (this.expectedRows >= 0) ? OptionalLong.of(this.expectedRows) : OptionalLong.empty();
    }

    /**
     * The time left at the rate so far.
     * @return the estimate, or empty when the total is not known or no rate is measured yet
     */
    public Optional<Duration> eta() {
        double rate = rowsPerSecond();
        if (this.expectedRows < 0 || rate <= 0) {
            return Optional.empty();
        }
        long left = Math.max(0, this.expectedRows - this.rows);
        return Optional.of(Duration.ofNanos((long) (left / rate * 1e9)));
    }

}
