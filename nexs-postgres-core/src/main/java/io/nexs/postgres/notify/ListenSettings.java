package io.nexs.postgres.notify;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing of a {@link NotificationListenerContainer}.
 *
 * @param pollTimeout how long one wait for notifications lasts; LISTEN and UNLISTEN issued by other threads wait
 * at most this long for the connection, so keep it short
 * @param probeInterval how long the connection may go without a notification before a {@code select 1} checks
 * that it is still alive (a connection can die silently, e.g. behind a firewall that drops idle flows)
 * @param probeTimeout the network timeout of every command on the connection (the probe, LISTEN, UNLISTEN): a
 * server that does not answer within it counts as lost
 * @param reconnectInitialDelay the wait after the first failed reconnect attempt (the first attempt is
 * immediate); doubled after each further failure
 * @param reconnectMaxDelay the longest wait between reconnect attempts
 */
public record ListenSettings(Duration pollTimeout, Duration probeInterval, Duration probeTimeout,
        Duration reconnectInitialDelay, Duration reconnectMaxDelay) {

    /**
     * Checks that every duration is positive, fits the driver's int milliseconds where it must, and that the
     * maximum reconnect delay is not below the initial one.
     */
    public ListenSettings {
        requireMillis(pollTimeout, "pollTimeout");
        requireMillis(probeInterval, "probeInterval");
        requireMillis(probeTimeout, "probeTimeout");
        requireMillis(reconnectInitialDelay, "reconnectInitialDelay");
        requireMillis(reconnectMaxDelay, "reconnectMaxDelay");
        if (reconnectMaxDelay.compareTo(reconnectInitialDelay) < 0) {
            throw new IllegalArgumentException("reconnectMaxDelay (" + reconnectMaxDelay
                    + ") must not be less than reconnectInitialDelay (" + reconnectInitialDelay + ")");
        }
    }

    /**
     * Polls every 250 ms, probes after 5 s without a notification with a 5 s network timeout, and reconnects
     * after 100 ms, doubling up to 10 s.
     * @return the defaults
     */
    public static ListenSettings defaults() {
        return new ListenSettings(Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofMillis(100), Duration.ofSeconds(10));
    }

    private static void requireMillis(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.compareTo(Duration.ofMillis(1)) < 0 || duration.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be between 1 ms and " + Integer.MAX_VALUE + " ms, not "
                    + duration);
        }
    }

}
