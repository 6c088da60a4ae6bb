package io.nexs.postgres.consistency;

/**
 * How fresh a read from a replica must be.
 */
public enum ReadConsistency {

    /** A replica may serve the read however far behind it is (within the lag limit). */
    EVENTUAL,

    /**
     * A read sees the writes committed earlier in its {@link ConsistencyScope}: it goes to a replica that has
     * replayed them, waits a bounded time for one, or goes to the primary: the default.
     */
    READ_YOUR_WRITES

}
