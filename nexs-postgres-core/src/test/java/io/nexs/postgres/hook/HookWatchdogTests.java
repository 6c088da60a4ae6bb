package io.nexs.postgres.hook;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watchdog that interrupts hooks running past the timeout, seen from the caller.
 */
class HookWatchdogTests {

    /** An interrupt the caller already had (e.g. Future.cancel(true)) is erased when the watchdog times a hook out. */
    @Test
    void theCallersOwnInterruptSurvivesAHookTimeout() {
        try (HookManager manager = new HookManager(Duration.ofMillis(50), false)) {
            manager.register(new PostgresHook() {
                @Override
                public void onCustomPoint(String point, HookContext context) {
                    long end = System.nanoTime() + 300_000_000L;
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait();
                    }
                }
            });
            Thread.currentThread().interrupt();
            manager.fire("p", HookContext.custom("p"));
            assertThat(manager.timeoutCount()).isOne();
            assertThat(Thread.interrupted()).as("caller's interrupt preserved").isTrue();
        }
    }

}
