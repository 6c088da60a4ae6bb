package io.nexs.postgres.autoconfigure;

import java.time.Duration;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Hooks;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Retry;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

/**
 * Turns {@code nexs.postgres.hooks.*} and {@code nexs.postgres.retry.*} into the core's settings, failing with an
 * {@link InvalidPostgresPropertyException} that names the property and the fix.
 */
final class ResilienceSettings {

    private static final String HOOKS = "nexs.postgres.hooks.";

    private static final String RETRY = "nexs.postgres.retry.";

    private ResilienceSettings() {
    }

    static HookManager hookManager(Hooks hooks) {
        Duration timeout = hooks.getTimeout();
        if (timeout == null || timeout.isNegative()) {
            throw new InvalidPostgresPropertyException(HOOKS + "timeout", String.valueOf(timeout),
                    "a hook timeout cannot be negative",
                    "Set " + HOOKS + "timeout to a duration such as 1s, or 0 to let hooks run without a limit.");
        }
        return new HookManager(timeout, hooks.isIncludeParameters());
    }

    static @Nullable Duration slowQueryThreshold(Hooks hooks) {
        Duration threshold = hooks.getSlowQuery().getThreshold();
        if (threshold != null && threshold.isNegative()) {
            throw new InvalidPostgresPropertyException(HOOKS + "slow-query.threshold", String.valueOf(threshold),
                    "a threshold cannot be negative", "Set " + HOOKS + "slow-query.threshold to a duration such "
                            + "as 500ms, or remove it to turn the slow-query log off.");
        }
        return threshold;
    }

    static RetrySettings retrySettings(Retry retry) {
        if (retry.getMaxAttempts() < 1) {
            throw new InvalidPostgresPropertyException(RETRY + "max-attempts", String.valueOf(retry.getMaxAttempts()),
                    "every piece of work runs at least once", "Set " + RETRY + "max-attempts to 1 or more (1 "
                            + "means no retry), or set " + RETRY + "enabled=false to turn retries off.");
        }
        requireNotNegative("initial-interval", retry.getInitialInterval(), "50ms");
        if (!(retry.getMultiplier() >= 1.0)) {
            throw new InvalidPostgresPropertyException(RETRY + "multiplier", String.valueOf(retry.getMultiplier()),
                    "pauses must not shrink from one retry to the next",
                    "Set " + RETRY + "multiplier to 1 (equal pauses) or more, such as 2.");
        }
        requirePositive("max-interval", retry.getMaxInterval(), "1s");
        requireNotNegative("jitter", retry.getJitter(), "25ms");
        requirePositive("verify-commit-timeout", retry.getVerifyCommitTimeout(), "10s");
        return new RetrySettings(retry.isEnabled(), retry.getMaxAttempts(), retry.getInitialInterval(),
                retry.getMultiplier(), retry.getMaxInterval(), retry.getJitter(), retry.isVerifyCommit(),
                retry.getVerifyCommitTimeout());
    }

    static TransientErrors transientErrors(Retry retry, @Nullable ClassLoader classLoader) {
        TransientErrors errors = TransientErrors.defaults();
        for (int i = 0; i < retry.getTransientSqlStates().size(); i++) {
            String state = retry.getTransientSqlStates().get(i);
            try {
                errors = errors.withSqlStates(TransientErrors.requireSqlState((state != null) ? state.strip() : null));
            }
            catch (IllegalArgumentException ex) {
                throw new InvalidPostgresPropertyException(RETRY + "transient-sql-states[" + i + "]", state,
                        "it is not a SQLSTATE", "Use a five-character SQLSTATE such as 55P03, or a two-character "
                                + "class such as 08, in digits and upper-case letters.");
            }
        }
        for (int i = 0; i < retry.getTransientExceptions().size(); i++) {
            String name = retry.getTransientExceptions().get(i);
            String property = RETRY + "transient-exceptions[" + i + "]";
            Class<?> type;
            try {
                type = ClassUtils.forName(String.valueOf(name).strip(), classLoader);
            }
            catch (ClassNotFoundException | LinkageError ex) {
                throw new InvalidPostgresPropertyException(property, name, "no such class is on the class path",
                        "Give the fully qualified name of an exception class, such as "
                                + "org.springframework.dao.PessimisticLockingFailureException.");
            }
            if (!Throwable.class.isAssignableFrom(type)) {
                throw new InvalidPostgresPropertyException(property, name, "the class is not an exception",
                        "Give the fully qualified name of a class that extends Throwable.");
            }
            errors = errors.withExceptions(type.asSubclass(Throwable.class));
        }
        return errors;
    }

    private static void requireNotNegative(String name, @Nullable Duration value, String example) {
        if (value == null || value.isNegative()) {
            throw new InvalidPostgresPropertyException(RETRY + name, String.valueOf(value),
                    "a pause cannot be negative", "Set " + RETRY + name + " to 0 or a duration such as " + example
                            + ".");
        }
    }

    private static void requirePositive(String name, @Nullable Duration value, String example) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new InvalidPostgresPropertyException(RETRY + name, String.valueOf(value),
                    "it must be longer than zero", "Set " + RETRY + name + " to a duration such as " + example + ".");
        }
    }

}
