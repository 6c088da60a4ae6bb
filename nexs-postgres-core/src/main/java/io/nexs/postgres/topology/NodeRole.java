package io.nexs.postgres.topology;

/**
 * The part a PostgreSQL server plays in a streaming-replication topology, as the server itself reports it
 * through {@code pg_is_in_recovery()}.
 */
public enum NodeRole {

    /** Accepts writes: the server is not in recovery. */
    PRIMARY,

    /** A hot standby replaying the primary's WAL: read-only. */
    REPLICA,

    /** Not known yet, or the server could not be asked. */
    UNKNOWN;

    /**
     * The role a server reports through {@code pg_is_in_recovery()}.
     * @param inRecovery the value of {@code pg_is_in_recovery()}
     * @return {@link #REPLICA} when in recovery, otherwise {@link #PRIMARY}
     */
    public static NodeRole fromRecovery(boolean inRecovery) {
        return inRecovery ? REPLICA : PRIMARY;
    }

    /**
     * The lower-case name used in health details and logs.
     * @return {@code primary}, {@code replica} or {@code unknown}
     */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

}
