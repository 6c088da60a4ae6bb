package io.nexs.postgres.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * Sizing, timeouts and life-cycle behaviour of one node's HikariCP pool.
 *
 * @param minIdle connections kept open when idle
 * @param maxSize the most connections the pool opens
 * @param connectionTimeout how long a caller waits to borrow a connection
 * @param idleTimeout how long a connection above {@code minIdle} may stay idle
 * @param maxLifetime the longest a connection lives before it is replaced ({@link Duration#ZERO} for no limit)
 * @param keepaliveTime how often an idle connection is tested ({@link Duration#ZERO} to turn off)
 * @param validationTimeout how long a connection test may take
 * @param leakDetectionThreshold how long a connection may stay borrowed before a leak warning
 * ({@link Duration#ZERO} to turn off)
 * @param warmUp whether start-up opens {@code minIdle} connections and checks the server
 * @param failFast whether a failed warm-up fails start-up, rather than starting degraded
 * @param shutdownTimeout how long closing waits for borrowed connections to come back
 */
public record PoolSettings(int minIdle, int maxSize, Duration connectionTimeout, Duration idleTimeout,
        Duration maxLifetime, Duration keepaliveTime, Duration validationTimeout, Duration leakDetectionThreshold,
        boolean warmUp, boolean failFast, Duration shutdownTimeout) {

    /**
     * Checks for missing values; range checks belong to whoever reads the configuration, so that errors can
     * name the property the user wrote.
     */
    public PoolSettings {
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(maxLifetime, "maxLifetime");
        Objects.requireNonNull(keepaliveTime, "keepaliveTime");
        Objects.requireNonNull(validationTimeout, "validationTimeout");
        Objects.requireNonNull(leakDetectionThreshold, "leakDetectionThreshold");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    }

}
