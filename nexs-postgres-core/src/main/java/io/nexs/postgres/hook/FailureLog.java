package io.nexs.postgres.hook;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs failed hook calls: a hook that fails on every call would otherwise write a stack trace per database call,
 * so each hook is logged at most once per interval, with the number of failures left out since.
 */
final class FailureLog {

    private static final Logger logger = LoggerFactory.getLogger(HookManager.class);

    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Map<Object, Window> windows = new ConcurrentHashMap<>();

    void failed(PostgresHook hook, HookManager.Point point, Throwable failure, @Nullable HookContext context) {
        long skipped = admit(hook);
        if (skipped >= 0) {
            logger.warn("Hook {} failed in {}{}; the operation went on without it{}", hook, point.method(),
                    describe(context), skippedText(skipped), failure);
        }
    }

    void timedOut(PostgresHook hook, HookManager.Point point, Duration timeout, @Nullable HookContext context) {
        long skipped = admit(hook);
        if (skipped >= 0) {
            logger.warn("Hook {} ran longer than {} ms in {}{} (nexs.postgres.hooks.timeout) and was interrupted; "
                    + "the operation went on without it{}", hook, timeout.toMillis(), point.method(),
                    describe(context), skippedText(skipped));
        }
    }

    /** The number of failures not logged since the last line, or -1 when this one is not logged either. */
    private long admit(PostgresHook hook) {
        long now = System.nanoTime();
        Window window = this.windows.computeIfAbsent(hook, (key) -> new Window());
        synchronized (window) {
            if (window.logged && now - window.lastLogged < INTERVAL_NANOS) {
                window.skipped++;
                return -1;
            }
            long skipped = window.skipped;
            window.logged = true;
            window.lastLogged = now;
            window.skipped = 0;
            return skipped;
        }
    }

    private static String describe(@Nullable HookContext context) {
        return (context != null) ? " of " + context.operation().label() + " " + context.name() : "";
    }

    private static String skippedText(long skipped) {
        return (skipped > 0) ? " (" + skipped + " more failures of this hook were not logged)" : "";
    }

    private static final class Window {

        boolean logged;

        long lastLogged;

        long skipped;

    }

}
