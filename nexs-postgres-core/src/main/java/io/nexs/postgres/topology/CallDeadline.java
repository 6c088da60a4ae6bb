package io.nexs.postgres.topology;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The deadline of the call the current thread is making, if any: waits inside the call (for a primary during a
 * failover, for a pooled connection) end at it rather than after their own full timeout, so that one retried call
 * cannot add its attempts' waits up to minutes. The retrier sets it for the duration of a call; a nested call can
 * only shorten it.
 */
public final class CallDeadline {

    /** Per thread: whether a deadline is set, and its {@link System#nanoTime()}; one array, no allocation per call. */
    private static final ThreadLocal<long[]> CURRENT = ThreadLocal.withInitial(() -> new long[2]);

    private CallDeadline() {
    }

    /**
     * Sets the deadline of the current thread's call to {@code timeout} from now, or keeps the one set already when
     * it is sooner.
     * @param timeout how long the call may take; zero or negative for no deadline of its own
     * @return what to give {@link #restore(long)} when the call ends
     */
    public static long begin(Duration timeout) {
        long[] current = CURRENT.get();
        long previous = (current[0] != 0) ? current[1] : Long.MIN_VALUE;
        if (timeout.isZero() || timeout.isNegative()) {
            return previous;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (current[0] == 0 || deadline - current[1] < 0) {
            current[0] = 1;
            current[1] = deadline;
        }
        return previous;
    }

    /**
     * Puts back the deadline that was in force before {@link #begin(Duration)}.
     * @param previous what {@code begin} returned
     */
    public static void restore(long previous) {
        long[] current = CURRENT.get();
        if (previous == Long.MIN_VALUE) {
            current[0] = 0;
        }
        else {
            current[0] = 1;
            current[1] = previous;
        }
    }

    /**
     * The sooner of a wait's own deadline and the call's.
     * @param deadline the wait's own deadline, in {@link System#nanoTime()}
     * @return the deadline to wait until
     */
    public static long cap(long deadline) {
        long[] current = CURRENT.get();
        return (current[0] != 0 && current[1] - deadline < 0) ? current[1] : deadline;
    }

    /**
     * How long the current thread's call may still take.
     * @return the time left, zero when the deadline has passed, or {@code null} when no deadline is set
     */
    public static @Nullable Duration remaining() {
        long[] current = CURRENT.get();
        return (current[0] != 0) ? Duration.ofNanos(Math.max(0, current[1] - System.nanoTime())) : null;
    }

}
