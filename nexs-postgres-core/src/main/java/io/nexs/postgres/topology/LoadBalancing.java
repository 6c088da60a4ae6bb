package io.nexs.postgres.topology;

/**
 * How a read chooses among the nodes its {@link ReadPreference} allows: each mode is a {@link ReplicaSelector}.
 */
public enum LoadBalancing {

    /** Each node in turn. The default. */
    ROUND_ROBIN,

    /** A node at random, each equally likely. */
    RANDOM,

    /** A node at random, in proportion to its configured weight. */
    WEIGHTED,

    /** The node with the lowest recent check latency. */
    LATENCY;

    /**
     * A new selector of this mode. Each topology has its own, so that round-robin turns are not shared between
     * topologies.
     * @return the selector
     */
    public ReplicaSelector newSelector() {
        return switch (this) {
            case ROUND_ROBIN -> new RoundRobinSelector();
            case RANDOM -> new RandomSelector();
            case WEIGHTED -> new WeightedSelector();
            case LATENCY -> new LatencySelector();
        };
    }

}
