package io.nexs.postgres.observe;

/**
 * Told of what the {@link SafetyMonitor} finds, for counting. {@link PostgresMetrics} is the implementation that
 * turns these into meters; the monitor itself knows nothing of Micrometer, so it runs in applications without it.
 */
public interface SafetyListener {

    /**
     * A connection was held longer than the leak threshold.
     */
    default void connectionLeaked() {
    }

    /**
     * The server resolved deadlocks in this application's database since the last check.
     * @param count how many
     */
    default void deadlocksResolved(long count) {
    }

}
