package io.nexs.postgres.topology;

/**
 * How a read chooses among the nodes its {@link ReadPreference} allows.
 */
public enum LoadBalancing {

    /** Each node in turn. The default. */
    ROUND_ROBIN,

    /** A node at random, each equally likely. */
    RANDOM,

    /** A node at random, in proportion to its configured weight. */
    WEIGHTED,

    /** The node with the lowest recent check latency. */
    LATENCY

}
