package io.nexs.postgres.tx;

import java.time.Duration;
import java.util.Objects;

/**
 * How transient failures are retried: exponential back-off with jitter, as Spring's
 * {@link org.springframework.core.retry.RetryPolicy} applies it, and whether a commit whose connection was lost
 * is checked on the primary.
 *
 * @param enabled whether anything is retried
 * @param maxAttempts the most executions of one piece of work, the first included (1 means no retry)
 * @param initialInterval the pause before the first retry
 * @param multiplier how much each pause grows over the one before
 * @param maxInterval the longest pause
 * @param jitter how much each pause may randomly differ, up or down, so clients that failed together do not retry
 * together
 * @param verifyCommit whether a commit that lost its connection is checked with {@code pg_xact_status}; without
 * the check such a commit ends in {@link CommitOutcomeUnknownException}
 * @param verifyCommitTimeout how long the check may try to reach the primary
 * @param settleAutoCommitWrites whether a write outside a transaction runs as a short transaction whose lost
 * {@code COMMIT} is settled like a transaction's, so that the caller learns "applied" or "not applied" rather than
 * {@link io.nexs.postgres.error.OutcomeUnknownException}; it costs two round trips more per write
 * @param timeout the most one call may take over all its attempts and pauses, as Spring's
 * {@link org.springframework.core.retry.RetryPolicy.Builder#timeout(Duration)}: no pause begins, and no attempt
 * starts, past it, and waits inside an attempt (for a primary, for a connection) end at it; {@link Duration#ZERO}
 * for no limit
 */
public record RetrySettings(boolean enabled, int maxAttempts, Duration initialInterval, double multiplier,
        Duration maxInterval, Duration jitter, boolean verifyCommit, Duration verifyCommitTimeout,
        boolean settleAutoCommitWrites, Duration timeout) {

    /** Off: settling costs two round trips per write (see the README). */
    private static final boolean DEFAULT_SETTLE = false;

    /** The default {@link #timeout()}: two full waits for a primary at the default write-wait timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final RetrySettings DEFAULTS = new RetrySettings(true, 3, Duration.ofMillis(50), 2.0,
            Duration.ofSeconds(1), Duration.ofMillis(25), true, Duration.ofSeconds(10), DEFAULT_SETTLE,
            DEFAULT_TIMEOUT);

    /**
     * Checks the settings.
     * @param enabled whether anything is retried
     * @param maxAttempts the most executions
     * @param initialInterval the first pause
     * @param multiplier the growth of pauses
     * @param maxInterval the longest pause
     * @param jitter the random part of a pause
     * @param verifyCommit whether to check lost commits
     * @param verifyCommitTimeout how long the check may take
     * @param settleAutoCommitWrites whether to settle lost auto-commit writes
     * @param timeout the most one call may take, {@link Duration#ZERO} for no limit
     */
    public RetrySettings {
        Objects.requireNonNull(initialInterval, "initialInterval");
        Objects.requireNonNull(maxInterval, "maxInterval");
        Objects.requireNonNull(jitter, "jitter");
        Objects.requireNonNull(verifyCommitTimeout, "verifyCommitTimeout");
        Objects.requireNonNull(timeout, "timeout");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, not " + maxAttempts);
        }
        if (initialInterval.isNegative()) {
            throw new IllegalArgumentException("initialInterval must not be negative, not " + initialInterval);
        }
        if (!(multiplier >= 1.0)) {
            throw new IllegalArgumentException("multiplier must be at least 1, not " + multiplier);
        }
        if (maxInterval.isNegative() || maxInterval.isZero()) {
            throw new IllegalArgumentException("maxInterval must be positive, not " + maxInterval);
        }
        if (jitter.isNegative()) {
            throw new IllegalArgumentException("jitter must not be negative, not " + jitter);
        }
        if (verifyCommitTimeout.isNegative() || verifyCommitTimeout.isZero()) {
            throw new IllegalArgumentException("verifyCommitTimeout must be positive, not " + verifyCommitTimeout);
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, not " + timeout);
        }
    }

    /**
     * Settings with the {@linkplain #DEFAULT_TIMEOUT default timeout} of a call, which do not settle auto-commit
     * writes.
     * @param enabled whether anything is retried
     * @param maxAttempts the most executions
     * @param initialInterval the first pause
     * @param multiplier the growth of pauses
     * @param maxInterval the longest pause
     * @param jitter the random part of a pause
     * @param verifyCommit whether to check lost commits
     * @param verifyCommitTimeout how long the check may take
     */
    public RetrySettings(boolean enabled, int maxAttempts, Duration initialInterval, double multiplier,
            Duration maxInterval, Duration jitter, boolean verifyCommit, Duration verifyCommitTimeout) {
        this(enabled, maxAttempts, initialInterval, multiplier, maxInterval, jitter, verifyCommit,
                verifyCommitTimeout, DEFAULT_SETTLE, DEFAULT_TIMEOUT);
    }

    /**
     * Three attempts, pauses from 50 ms doubling up to 1 s with 25 ms of jitter, at most 30 s for one call, lost
     * commits checked for up to 10 s.
     * @return the defaults
     */
    public static RetrySettings defaults() {
        return DEFAULTS;
    }

    /**
     * Settings that retry nothing but still check lost commits.
     * @return retries off
     */
    public static RetrySettings disabled() {
        return new RetrySettings(false, 1, DEFAULTS.initialInterval, DEFAULTS.multiplier, DEFAULTS.maxInterval,
                DEFAULTS.jitter, true, DEFAULTS.verifyCommitTimeout, DEFAULT_SETTLE, DEFAULTS.timeout);
    }

    /**
     * A copy with another number of attempts.
     * @param maxAttempts the most executions, the first included
     * @return the copy
     */
    public RetrySettings withMaxAttempts(int maxAttempts) {
        return new RetrySettings(this.enabled, maxAttempts, this.initialInterval, this.multiplier, this.maxInterval,
                this.jitter, this.verifyCommit, this.verifyCommitTimeout,
                this.settleAutoCommitWrites, this.timeout);
    }

    /**
     * A copy with other pauses.
     * @param initialInterval the first pause
     * @param multiplier the growth of pauses
     * @param maxInterval the longest pause
     * @param jitter the random part of a pause
     * @return the copy
     */
    public RetrySettings withBackOff(Duration initialInterval, double multiplier, Duration maxInterval,
            Duration jitter) {
        return new RetrySettings(this.enabled, this.maxAttempts, initialInterval, multiplier, maxInterval, jitter,
                this.verifyCommit, this.verifyCommitTimeout,
                this.settleAutoCommitWrites, this.timeout);
    }

    /**
     * A copy that checks lost commits or not.
     * @param verifyCommit whether to check
     * @return the copy
     */
    public RetrySettings withVerifyCommit(boolean verifyCommit) {
        return new RetrySettings(this.enabled, this.maxAttempts, this.initialInterval, this.multiplier,
                this.maxInterval, this.jitter, verifyCommit, this.verifyCommitTimeout,
                this.settleAutoCommitWrites, this.timeout);
    }

    /**
     * A copy with another limit on the time of one call.
     * @param timeout the most one call may take over all its attempts and pauses, {@link Duration#ZERO} for no
     * limit
     * @return the copy
     */
    public RetrySettings withTimeout(Duration timeout) {
        return new RetrySettings(this.enabled, this.maxAttempts, this.initialInterval, this.multiplier,
                this.maxInterval, this.jitter, this.verifyCommit, this.verifyCommitTimeout,
                this.settleAutoCommitWrites, timeout);
    }

    /**
     * A copy that settles lost auto-commit writes or not.
     * @param settleAutoCommitWrites whether to settle them
     * @return the copy
     */
    public RetrySettings withSettleAutoCommitWrites(boolean settleAutoCommitWrites) {
        return new RetrySettings(this.enabled, this.maxAttempts, this.initialInterval, this.multiplier,
                this.maxInterval, this.jitter, this.verifyCommit, this.verifyCommitTimeout, settleAutoCommitWrites,
                this.timeout);
    }

}
