package io.nexs.postgres.tx;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.TransientDataAccessResourceException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The retrier without a database: which failures run the work again, what the caller gets at the end, how the
 * statistics count, and the pauses between attempts.
 */
class RetrierTests {

    private static Retrier retrier(int maxAttempts) {
        return new Retrier(quick(maxAttempts), TransientErrors.defaults());
    }

    private static RetrySettings quick(int maxAttempts) {
        return RetrySettings.defaults()
            .withMaxAttempts(maxAttempts)
            .withBackOff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1), Duration.ZERO);
    }

    private static TransientDataAccessResourceException transientFailure(String message) {
        return new TransientDataAccessResourceException(message, new SQLException(message, "40001"));
    }

    private static DataIntegrityViolationException permanentFailure(String message) {
        return new DataIntegrityViolationException(message, new SQLException(message, "23505"));
    }

    @Test
    void workThatSucceedsAtOnceRunsOnceAndCountsOneAttempt() {
        Retrier retrier = retrier(3);
        String result = retrier.run("work", (attempt) -> "done at " + attempt);
        assertThat(result).isEqualTo("done at 1");
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
    }

    @Test
    void transientFailuresRunTheWorkAgainAndTheStatisticsCountEveryExecution() {
        Retrier retrier = retrier(5);
        List<Integer> attempts = new ArrayList<>();
        String result = retrier.run("work", (attempt) -> {
            attempts.add(attempt);
            if (attempt < 3) {
                throw transientFailure("attempt " + attempt);
            }
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(3, 2, 1, 0, 0, 0));
        retrier.run("more work", (attempt) -> attempt);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(4, 2, 1, 0, 0, 0));
    }

    @Test
    void whenTheAttemptsRunOutTheLastFailureIsThrownWithTheEarlierOnesSuppressed() {
        Retrier retrier = retrier(3);
        List<RuntimeException> thrown = new ArrayList<>();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            RuntimeException ex = transientFailure("attempt " + attempt);
            thrown.add(ex);
            throw ex;
        }));
        assertThat(thrown).hasSize(3);
        assertThat(failure).isSameAs(thrown.get(2));
        assertThat(failure.getSuppressed()).containsExactly(thrown.get(0), thrown.get(1));
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(3, 2, 0, 1, 0, 0));
    }

    @Test
    void aPermanentFailureEndsTheRetriesAndIsThrownWithTheTransientOnesBeforeItSuppressed() {
        Retrier retrier = retrier(5);
        List<RuntimeException> thrown = new ArrayList<>();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            RuntimeException ex = (attempt == 1) ? transientFailure("first") : permanentFailure("second");
            thrown.add(ex);
            throw ex;
        }));
        assertThat(thrown).hasSize(2);
        assertThat(failure).isSameAs(thrown.get(1));
        assertThat(failure.getSuppressed()).containsExactly(thrown.get(0));
        // not exhausted: the last failure was not transient
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 0, 0, 0, 0));
    }

    @Test
    void aPermanentFailureIsThrownAsItIsAfterOneAttempt() {
        Retrier retrier = retrier(5);
        DataIntegrityViolationException permanent = permanentFailure("duplicate");
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            throw permanent;
        }));
        assertThat(failure).isSameAs(permanent);
        assertThat(failure.getSuppressed()).isEmpty();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
    }

    @Test
    void doNotRetryHandsTheOriginalTransientFailureToTheCallerUnchangedAfterOneAttempt() {
        Retrier retrier = retrier(5);
        TransientDataAccessResourceException original = transientFailure("sent, then lost");
        assertThat(retrier.transientErrors().isTransient(original)).isTrue();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            throw Retrier.doNotRetry(original);
        }));
        assertThat(failure).isSameAs(original);
        assertThat(failure.getSuppressed()).isEmpty();
        assertThat(failure.getCause()).isInstanceOf(SQLException.class);
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(1, 0, 0, 0, 0, 0));
    }

    @Test
    void doNotRetryAfterARetryKeepsTheOriginalWithTheEarlierFailureSuppressed() {
        Retrier retrier = retrier(5);
        TransientDataAccessResourceException first = transientFailure("first");
        TransientDataAccessResourceException second = transientFailure("second");
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            throw (attempt == 1) ? first : Retrier.doNotRetry(second);
        }));
        assertThat(failure).isSameAs(second);
        assertThat(failure.getSuppressed()).containsExactly(first);
        // doNotRetry is not "exhausted": the work gave up, not the retrier
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(2, 1, 0, 0, 0, 0));
    }

    @Test
    void anErrorIsNeitherRetriedNorWrapped() {
        Retrier retrier = retrier(5);
        AssertionError error = new AssertionError("bug");
        AtomicInteger runs = new AtomicInteger();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            runs.incrementAndGet();
            throw error;
        }));
        assertThat(failure).isSameAs(error);
        assertThat(runs).hasValue(1);
    }

    @Test
    void aDisabledRetrierRunsTransientlyFailingWorkOnceAndThrowsTheFailureItself() {
        Retrier retrier = new Retrier(RetrySettings.disabled(), TransientErrors.defaults());
        assertThat(retrier.isEnabled()).isFalse();
        TransientDataAccessResourceException original = transientFailure("lost");
        AtomicInteger runs = new AtomicInteger();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            runs.incrementAndGet();
            throw original;
        }));
        assertThat(failure).isSameAs(original);
        assertThat(runs).hasValue(1);
        Throwable unwrapped = catchThrowable(() -> retrier.run("work", (attempt) -> {
            throw Retrier.doNotRetry(original);
        }));
        assertThat(unwrapped).isSameAs(original);
        int attempt = retrier.run("work", (current) -> current);
        assertThat(attempt).isOne();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(3, 0, 0, 0, 0, 0));
        assertThat(Retrier.disabled().isEnabled()).isFalse();
        assertThat(Retrier.disabled().settings().verifyCommit()).isTrue();
    }

    @Test
    void oneAttemptMeansRetriesAreOffEvenWhenEnabled() {
        Retrier retrier = retrier(1);
        assertThat(retrier.settings().enabled()).isTrue();
        assertThat(retrier.isEnabled()).isFalse();
        AtomicInteger runs = new AtomicInteger();
        catchThrowable(() -> retrier.run("work", (attempt) -> {
            runs.incrementAndGet();
            throw transientFailure("lost");
        }));
        assertThat(runs).hasValue(1);
    }

    @Test
    void customTransientErrorsDecideWhatIsRetried() {
        Retrier retrier = new Retrier(quick(3), TransientErrors.defaults().withSqlStates("23505"));
        AtomicInteger runs = new AtomicInteger();
        int succeeded = retrier.run("work", (attempt) -> {
            if (runs.incrementAndGet() == 1) {
                throw permanentFailure("duplicate, but listed");
            }
            return attempt;
        });
        assertThat(succeeded).isEqualTo(2);
    }

    @Test
    void commitOutcomesAreCounted() {
        Retrier retrier = retrier(3);
        retrier.commitVerified();
        retrier.commitVerified();
        retrier.commitUnknown();
        assertThat(retrier.statistics()).isEqualTo(new RetryStatistics(0, 0, 0, 0, 2, 1));
    }

    @Test
    void pausesGrowByTheMultiplierUpToTheLongestPause() {
        RetrySettings settings = RetrySettings.defaults()
            .withMaxAttempts(4)
            .withBackOff(Duration.ofMillis(30), 3.0, Duration.ofMillis(150), Duration.ZERO);
        Retrier retrier = new Retrier(settings, TransientErrors.defaults());
        List<Long> starts = new ArrayList<>();
        catchThrowable(() -> retrier.run("work", (attempt) -> {
            starts.add(System.nanoTime());
            throw transientFailure("attempt " + attempt);
        }));
        assertThat(starts).hasSize(4);
        // 30 ms, 90 ms, then 270 ms capped at 150 ms
        assertThat(millisBetween(starts, 0)).isGreaterThanOrEqualTo(28);
        assertThat(millisBetween(starts, 1)).isGreaterThanOrEqualTo(88);
        assertThat(millisBetween(starts, 2)).isGreaterThanOrEqualTo(148).isLessThan(260);
    }

    private static long millisBetween(List<Long> starts, int index) {
        return Duration.ofNanos(starts.get(index + 1) - starts.get(index)).toMillis();
    }

    @Test
    void settingsAreValidated() {
        RetrySettings defaults = RetrySettings.defaults();
        assertThat(defaults.maxAttempts()).isEqualTo(3);
        assertThat(defaults.verifyCommit()).isTrue();
        assertThatIllegalArgumentException().isThrownBy(() -> defaults.withMaxAttempts(0));
        assertThatIllegalArgumentException().isThrownBy(
                () -> defaults.withBackOff(Duration.ofMillis(-1), 2.0, Duration.ofSeconds(1), Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(
                () -> defaults.withBackOff(Duration.ofMillis(10), 0.5, Duration.ofSeconds(1), Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(
                () -> defaults.withBackOff(Duration.ofMillis(10), Double.NaN, Duration.ofSeconds(1), Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(
                () -> defaults.withBackOff(Duration.ofMillis(10), 2.0, Duration.ZERO, Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(
                () -> defaults.withBackOff(Duration.ofMillis(10), 2.0, Duration.ofSeconds(1), Duration.ofMillis(-1)));
        assertThat(defaults.withVerifyCommit(false).verifyCommit()).isFalse();
        assertThat(defaults.withVerifyCommit(false).maxAttempts()).isEqualTo(3);
    }

}
