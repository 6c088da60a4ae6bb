package io.nexs.postgres.topology;

import java.util.Locale;

/**
 * What the topology monitor thinks of a node right now. Only {@link #HEALTHY} nodes take new work.
 */
public enum NodeState {

    /** The last checks succeeded: the node takes reads, and writes when it is the primary. */
    HEALTHY,

    /** The node failed {@code failure-threshold} checks in a row; its connections were closed. */
    UNHEALTHY,

    /** An unhealthy node answers again; it takes work after {@code failure-threshold} good checks in a row. */
    RECOVERING,

    /** Taken out of service through the API: no new borrowers until it is resumed. */
    MAINTENANCE;

    /**
     * The lower-case name used in health details and logs.
     * @return for example {@code healthy}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

}
