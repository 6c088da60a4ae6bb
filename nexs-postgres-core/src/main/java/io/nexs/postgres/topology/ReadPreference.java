package io.nexs.postgres.topology;

/**
 * Which nodes may serve a read. Writes always go to the current primary.
 */
public enum ReadPreference {

    /** Only the primary: reads that must see the application's own latest writes. */
    PRIMARY,

    /** Only replicas within the lag limit; with none available the read fails rather than loading the primary. */
    SECONDARY,

    /** Replicas within the lag limit, the primary when there is none. The default. */
    SECONDARY_PREFERRED,

    /**
     * The primary and the replicas within the lag limit, whichever answered the monitor fastest (within the
     * latency window); the load-balancing strategy chooses among those.
     */
    NEAREST

}
