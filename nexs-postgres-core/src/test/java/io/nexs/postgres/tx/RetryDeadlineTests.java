package io.nexs.postgres.tx;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.nexs.postgres.topology.CallDeadline;
import org.junit.jupiter.api.Test;

import org.springframework.dao.TransientDataAccessResourceException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The deadline of one retried call, without a database: no pause begins and no attempt starts that the deadline
 * would cut, waits inside an attempt see the time left, and the caller learns why the retries stopped.
 */
class RetryDeadlineTests {

    private static RetrySettings settings(int maxAttempts, Duration pause, Duration timeout) {
        return RetrySettings.defaults()
            .withMaxAttempts(maxAttempts)
            .withBackOff(pause, 1.0, pause, Duration.ZERO)
            .withTimeout(timeout);
    }

    private static TransientDataAccessResourceException transientFailure(int attempt) {
        return new TransientDataAccessResourceException("attempt " + attempt, new SQLException("lost", "08006"));
    }

    @Test
    void aPauseThatWouldEndPastTheDeadlineIsNotBegun() {
        Retrier retrier = new Retrier(settings(3, Duration.ofSeconds(2), Duration.ofMillis(300)),
                TransientErrors.defaults());
        AtomicInteger attempts = new AtomicInteger();
        long start = System.nanoTime();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            attempts.incrementAndGet();
            throw transientFailure(attempt);
        }));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(attempts).hasValue(1);
        assertThat(failure).isInstanceOf(TransientDataAccessResourceException.class).hasMessage("attempt 1");
        assertThat(failure.getSuppressed()).singleElement()
            .isInstanceOf(TimeoutException.class)
            .satisfies((note) -> assertThat(note.getMessage()).contains("after 1 of 3 attempts", "deadline of 300 ms"));
        assertThat(retrier.statistics().exhausted()).isOne();
    }

    @Test
    void noAttemptStartsOnceTheDeadlineHasPassed() {
        Retrier retrier = new Retrier(settings(5, Duration.ofMillis(1), Duration.ofMillis(200)),
                TransientErrors.defaults());
        AtomicInteger attempts = new AtomicInteger();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            attempts.incrementAndGet();
            // an attempt that outlasts the whole deadline
            await().pollInSameThread()
                .atMost(Duration.ofSeconds(5))
                .until(() -> Duration.ZERO.equals(CallDeadline.remaining()));
            throw transientFailure(attempt);
        }));
        assertThat(attempts).hasValue(1);
        assertThat(failure.getSuppressed()).singleElement().isInstanceOf(TimeoutException.class);
    }

    @Test
    void earlierFailuresStaySuppressedNextToTheNote() {
        Retrier retrier = new Retrier(settings(10, Duration.ofMillis(100), Duration.ofMillis(350)),
                TransientErrors.defaults());
        AtomicInteger attempts = new AtomicInteger();
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            attempts.incrementAndGet();
            throw transientFailure(attempt);
        }));
        int made = attempts.get();
        assertThat(made).isBetween(2, 4);
        assertThat(failure).hasMessage("attempt " + made);
        assertThat(failure.getSuppressed()).hasSize(made);
        assertThat(failure.getSuppressed()[made - 1]).isInstanceOf(TimeoutException.class);
        assertThat(failure.getSuppressed()[0]).hasMessage("attempt 1");
    }

    @Test
    void withinTheDeadlineEveryAttemptRuns() {
        Retrier retrier = new Retrier(settings(3, Duration.ofMillis(1), Duration.ofSeconds(10)),
                TransientErrors.defaults());
        Throwable failure = catchThrowable(() -> retrier.run("work", (attempt) -> {
            throw transientFailure(attempt);
        }));
        assertThat(failure).hasMessage("attempt 3");
        assertThat(failure.getSuppressed()).noneMatch(TimeoutException.class::isInstance);
    }

    @Test
    void aZeroTimeoutSetsNoDeadline() {
        Retrier retrier = new Retrier(settings(2, Duration.ofMillis(1), Duration.ZERO), TransientErrors.defaults());
        Duration left = retrier.run("work", (attempt) -> CallDeadline.remaining());
        assertThat(left).isNull();
    }

    @Test
    void theWorkSeesTheTimeLeftAndANestedCallOnlyShortensIt() {
        Retrier outer = new Retrier(settings(1, Duration.ofMillis(1), Duration.ofSeconds(2)),
                TransientErrors.defaults());
        Retrier inner = new Retrier(settings(1, Duration.ofMillis(1), Duration.ofSeconds(60)),
                TransientErrors.defaults());
        Retrier shorter = new Retrier(settings(1, Duration.ofMillis(1), Duration.ofMillis(500)),
                TransientErrors.defaults());
        AtomicReference<Duration> innerLeft = new AtomicReference<>();
        AtomicReference<Duration> shorterLeft = new AtomicReference<>();
        Duration outerLeft = outer.run("outer", (attempt) -> {
            innerLeft.set(inner.run("inner", (nested) -> CallDeadline.remaining()));
            shorterLeft.set(shorter.run("shorter", (nested) -> CallDeadline.remaining()));
            return CallDeadline.remaining();
        });
        assertThat(innerLeft.get()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(shorterLeft.get()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(500));
        assertThat(outerLeft).isGreaterThan(Duration.ofMillis(500)).isLessThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(CallDeadline.remaining()).isNull();
    }

    @Test
    void aNestedCallDoesNotPausePastTheOuterDeadline() {
        Retrier outer = new Retrier(settings(1, Duration.ofMillis(1), Duration.ofMillis(300)),
                TransientErrors.defaults());
        Retrier inner = new Retrier(settings(3, Duration.ofSeconds(2), Duration.ofSeconds(60)),
                TransientErrors.defaults());
        AtomicInteger attempts = new AtomicInteger();
        long start = System.nanoTime();
        Throwable failure = catchThrowable(() -> outer.run("outer", (attempt) -> inner.run("inner", (nested) -> {
            attempts.incrementAndGet();
            throw transientFailure(nested);
        })));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(attempts).hasValue(1);
        assertThat(failure.getSuppressed()).singleElement().isInstanceOf(TimeoutException.class);
    }

    @Test
    void aWaitIsCutToTheCallsDeadline() {
        long far = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        assertThat(CallDeadline.cap(far)).isEqualTo(far);
        long previous = CallDeadline.begin(Duration.ofSeconds(1));
        try {
            assertThat(CallDeadline.cap(far) - System.nanoTime()).isLessThanOrEqualTo(Duration.ofSeconds(1).toNanos());
        }
        finally {
            CallDeadline.restore(previous);
        }
        assertThat(CallDeadline.cap(far)).isEqualTo(far);
    }

    @Test
    void aNegativeTimeoutIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> RetrySettings.defaults().withTimeout(Duration.ofSeconds(-1)))
            .withMessageContaining("timeout");
    }

}
