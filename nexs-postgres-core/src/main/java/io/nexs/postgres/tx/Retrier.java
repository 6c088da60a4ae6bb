package io.nexs.postgres.tx;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.topology.CallDeadline;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.core.retry.Retryable;

/**
 * Runs database work again after a transient failure, on Spring Framework's {@link RetryTemplate}: exponential
 * back-off with jitter from {@link RetrySettings}, transient failures from {@link TransientErrors}. It keeps the
 * {@linkplain #statistics() statistics}.
 *
 * <p>The work decides what may be retried beyond the table: work that failed where another attempt could
 * apply a write twice throws its failure through {@link #doNotRetry(RuntimeException)}, and the caller gets the
 * failure itself. After the last attempt the caller gets the last failure, with the earlier ones suppressed.
 *
 * <p>One call, all its attempts and pauses included, is bounded by {@link RetrySettings#timeout()}: no pause begins
 * that would end past the deadline, no attempt starts after it, and waits inside an attempt (for a primary during a
 * failover, for a pooled connection) end at it ({@link CallDeadline}). The caller then gets the last failure, with a
 * suppressed {@link TimeoutException} that says the deadline stopped the retries.
 */
public final class Retrier {

    private static final Logger logger = LoggerFactory.getLogger(Retrier.class);

    /** Earlier failures kept as suppressed exceptions of the last one. */
    private static final int MAX_SUPPRESSED = 4;

    private static final Duration ONE_MILLISECOND = Duration.ofMillis(1);

    private static final Retrier DISABLED = new Retrier(RetrySettings.disabled(), TransientErrors.defaults());

    private final RetrySettings settings;

    private final TransientErrors errors;

    private final RetryTemplate template;

    private final LongAdder attempts = new LongAdder();

    private final LongAdder retries = new LongAdder();

    private final LongAdder successesAfterRetry = new LongAdder();

    private final LongAdder exhausted = new LongAdder();

    private final LongAdder commitsVerified = new LongAdder();

    private final LongAdder commitsUnknown = new LongAdder();

    /**
     * Creates a retrier.
     * @param settings attempts and back-off
     * @param errors which failures are transient
     */
    public Retrier(RetrySettings settings, TransientErrors errors) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.errors = Objects.requireNonNull(errors, "errors");
        this.template = template(settings.timeout());
    }

    private RetryTemplate template(Duration timeout) {
        RetryPolicy policy = RetryPolicy.builder()
            .maxRetries(this.settings.enabled() ? this.settings.maxAttempts() - 1 : 0)
            .delay(this.settings.initialInterval())
            .multiplier(this.settings.multiplier())
            .maxDelay(this.settings.maxInterval())
            .jitter(this.settings.jitter())
            // RetryTemplate counts whole milliseconds, and reads zero as no limit at all
            .timeout((timeout.isZero() || timeout.toMillis() > 0) ? timeout : ONE_MILLISECOND)
            .predicate(this::shouldRetry)
            .build();
        return new RetryTemplate(policy);
    }

    /**
     * A retrier that runs everything once, with the default commit check.
     * @return the shared disabled retrier
     */
    public static Retrier disabled() {
        return DISABLED;
    }

    /**
     * Whether work is ever run more than once.
     * @return whether retries are on
     */
    public boolean isEnabled() {
        return this.settings.enabled() && this.settings.maxAttempts() > 1;
    }

    /**
     * The settings.
     * @return the settings
     */
    public RetrySettings settings() {
        return this.settings;
    }

    /**
     * The table of transient failures.
     * @return the table
     */
    public TransientErrors transientErrors() {
        return this.errors;
    }

    /**
     * Runs work, again after each transient failure until it succeeds or the attempts run out.
     * @param <T> the result type
     * @param name what the work is, for logs (never data)
     * @param work the work, told which attempt it is (from 1)
     * @return the work's result
     */
    public <T> T run(String name, Attempt<T> work) {
        // a call made inside another call may have less time left than a timeout of its own
        Duration outerLeft = CallDeadline.remaining();
        long outer = CallDeadline.begin(this.settings.timeout());
        try {
            return runWithin(name, work, outerLeft);
        }
        finally {
            CallDeadline.restore(outer);
        }
    }

    private <T> T runWithin(String name, Attempt<T> work, @Nullable Duration outerLeft) {
        Counted<T> counted = new Counted<>(name, work);
        if (!isEnabled()) {
            try {
                return counted.execute();
            }
            catch (NotRetried ex) {
                throw ex.failure;
            }
        }
        long start = System.nanoTime();
        Duration timeout = this.settings.timeout();
        boolean shortened = outerLeft != null && (timeout.isZero() || outerLeft.compareTo(timeout) < 0);
        if (shortened) {
            timeout = outerLeft.isZero() ? ONE_MILLISECOND : outerLeft;
        }
        RetryTemplate template = shortened ? template(timeout) : this.template;
        try {
            T result = template.execute(counted);
            if (counted.attempt > 1) {
                this.successesAfterRetry.increment();
            }
            return result;
        }
        catch (RetryException ex) {
            Throwable last = ex.getCause();
            RuntimeException failure = lastFailure(ex.getExceptions(), last);
            if (shouldRetry(last)) {
                // still transient: the attempts, the time or the thread's patience ran out
                this.exhausted.increment();
                if (!timeout.isZero() && counted.attempt < this.settings.maxAttempts()
                        && !Thread.currentThread().isInterrupted()) {
                    failure.addSuppressed(deadlineReached(name, counted.attempt, System.nanoTime() - start, timeout));
                }
            }
            throw failure;
        }
    }

    /**
     * The note on a failure that was not retried for lack of time. Not an exception the caller catches: the failure
     * of the last attempt is what the caller gets, with its own type.
     */
    private TimeoutException deadlineReached(String name, int attempts, long elapsedNanos, Duration timeout) {
        logger.debug("Not retrying {} after {} attempt(s): its deadline would pass first", name, attempts);
        TimeoutException note = new TimeoutException("Not retried after " + attempts + " of "
                + this.settings.maxAttempts() + " attempts: the call's deadline of " + timeout.toMillis()
                + " ms left no time for another pause and attempt (" + elapsedNanos / 1_000_000 + " ms spent)");
        note.setStackTrace(new StackTraceElement[0]);
        return note;
    }

    private RuntimeException lastFailure(List<Throwable> failures, @Nullable Throwable last) {
        Throwable failure = (last instanceof NotRetried notRetried) ? notRetried.failure : last;
        if (failure instanceof Error error) {
            throw error;
        }
        RuntimeException result = (failure instanceof RuntimeException runtime) ? runtime
                : new IllegalStateException("Retryable work failed", failure);
        int kept = 0;
        for (Throwable earlier : failures) {
            Throwable shown = (earlier instanceof NotRetried notRetried) ? notRetried.failure : earlier;
            if (shown != result && kept++ < MAX_SUPPRESSED) {
                result.addSuppressed(shown);
            }
        }
        return result;
    }

    private boolean shouldRetry(@Nullable Throwable failure) {
        return !(failure instanceof NotRetried) && this.errors.isTransient(failure);
    }

    /**
     * Wraps a failure that must reach the caller without another attempt, even though it is transient: for
     * example a write whose connection was lost after it was sent, which the server may have applied.
     * @param failure the failure
     * @return an exception to throw from the work
     */
    public static RuntimeException doNotRetry(RuntimeException failure) {
        return (failure instanceof NotRetried) ? failure : new NotRetried(failure);
    }

    /**
     * Counts a commit whose connection was lost and which the outcome check found committed.
     */
    public void commitVerified() {
        this.commitsVerified.increment();
    }

    /**
     * Counts a commit whose outcome could not be found.
     */
    public void commitUnknown() {
        this.commitsUnknown.increment();
    }

    /**
     * What retrying has done since start-up.
     * @return the counts now
     */
    public RetryStatistics statistics() {
        return new RetryStatistics(this.attempts.sum(), this.retries.sum(), this.successesAfterRetry.sum(),
                this.exhausted.sum(), this.commitsVerified.sum(), this.commitsUnknown.sum());
    }

    @Override
    public String toString() {
        return "Retrier[" + (isEnabled() ? this.settings.maxAttempts() + " attempts" : "off") + "]";
    }

    /**
     * One execution of retryable work.
     * @param <T> the result type
     */
    @FunctionalInterface
    public interface Attempt<T> {

        /**
         * Runs the work once.
         * @param attempt which execution this is, from 1
         * @return the result
         */
        T run(int attempt);

    }

    /** Counts executions, and logs retries. */
    private final class Counted<T> implements Retryable<T> {

        private final String name;

        private final Attempt<T> work;

        int attempt;

        Counted(String name, Attempt<T> work) {
            this.name = name;
            this.work = work;
        }

        @Override
        public T execute() {
            int attempt = ++this.attempt;
            Retrier.this.attempts.increment();
            if (attempt > 1) {
                Retrier.this.retries.increment();
                if (logger.isDebugEnabled()) {
                    logger.debug("Retrying {} (attempt {} of {})", this.name, attempt,
                            Retrier.this.settings.maxAttempts());
                }
            }
            try {
                return this.work.run(attempt);
            }
            catch (RuntimeException ex) {
                if (attempt < Retrier.this.settings.maxAttempts() && shouldRetry(ex) && logger.isDebugEnabled()) {
                    logger.debug("{} failed with a transient error (SQLSTATE {}): {}", this.name, SqlStates.of(ex),
                            ex.getClass().getSimpleName());
                }
                throw ex;
            }
        }

        @Override
        public String getName() {
            return this.name;
        }

    }

    /** A failure the work wants to reach the caller at once. */
    private static final class NotRetried extends RuntimeException {

        final RuntimeException failure;

        NotRetried(RuntimeException failure) {
            super(null, failure, false, false);
            this.failure = failure;
        }

    }

}
