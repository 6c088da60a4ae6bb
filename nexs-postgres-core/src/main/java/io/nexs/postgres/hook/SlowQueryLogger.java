package io.nexs.postgres.hook;

import java.time.Duration;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs queries, statements, batches and {@code COPY}s that took longer than a threshold, one warning line
 * each: the call, the node and its role, the duration, the rows and the SQL with literals removed
 * ({@link SqlText}). Bound parameter values are never logged. Enabled with
 * {@code nexs.postgres.hooks.slow-query.threshold}; the logger is {@code io.nexs.postgres.slow-query}.
 */
public class SlowQueryLogger implements PostgresHook {

    /** The name of the logger the lines go to. */
    public static final String LOGGER_NAME = "io.nexs.postgres.slow-query";

    private static final Logger logger = LoggerFactory.getLogger(LOGGER_NAME);

    private final long thresholdNanos;

    private final Duration threshold;

    /**
     * Creates the hook.
     * @param threshold operations that take longer are logged
     */
    public SlowQueryLogger(Duration threshold) {
        Objects.requireNonNull(threshold, "threshold");
        if (threshold.isNegative()) {
            throw new IllegalArgumentException("The slow-query threshold must not be negative, not " + threshold);
        }
        this.threshold = threshold;
        this.thresholdNanos = threshold.toNanos();
    }

    /**
     * The threshold.
     * @return operations longer than this are logged
     */
    public Duration threshold() {
        return this.threshold;
    }

    @Override
    public void afterQuery(HookContext context) {
        check(context);
    }

    @Override
    public void afterExec(HookContext context) {
        check(context);
    }

    @Override
    public void afterBatch(HookContext context) {
        check(context);
    }

    @Override
    public void afterCopy(HookContext context) {
        check(context);
    }

    private void check(HookContext context) {
        long nanos = context.durationNanos();
        if (nanos <= this.thresholdNanos || !logger.isWarnEnabled()) {
            return;
        }
        logger.warn("Slow {} {} on {} ({}): {} ms, {} rows{}: {}", context.operation().label(), context.name(),
                (context.node() != null) ? context.node() : "unknown node",
                (context.role() != null) ? context.role().label() : "unknown role", nanos / 1_000_000,
                (context.rows() >= 0) ? context.rows() : "unknown",
                context.failed() ? ", failed with SQLSTATE " + context.sqlState() : "",
                SqlText.normalize(context.sql()));
    }

    @Override
    public String toString() {
        return "SlowQueryLogger[threshold " + this.threshold.toMillis() + " ms]";
    }

}
