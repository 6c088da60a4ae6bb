package io.nexs.postgres.topology;

import java.util.Objects;
import java.util.Set;

import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;

/**
 * One node of the cluster as the configuration describes it.
 *
 * @param name the name shown in logs, health and metric tags; by default {@code host:port}
 * @param connection how to reach it
 * @param pool how to pool its connections
 * @param weight its share of reads under {@link LoadBalancing#WEIGHTED}, at least 1
 * @param tags free-form labels, for example an availability zone
 */
public record NodeDefinition(String name, ConnectionSettings connection, PoolSettings pool, int weight,
        Set<String> tags) {

    /**
     * Validates and copies the definition.
     * @param name the node's name
     * @param connection how to reach it
     * @param pool how to pool its connections
     * @param weight its share of weighted reads
     * @param tags free-form labels
     */
    public NodeDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(pool, "pool");
        if (name.isBlank()) {
            throw new IllegalArgumentException("A node's name must not be blank");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("The weight of node " + name + " must be at least 1, not " + weight);
        }
        tags = Set.copyOf(tags);
    }

    /**
     * A node named after its address, with weight 1 and no tags.
     * @param connection how to reach it
     * @param pool how to pool its connections
     * @return the definition
     */
    public static NodeDefinition of(ConnectionSettings connection, PoolSettings pool) {
        return new NodeDefinition(connection.address().toString(), connection, pool, 1, Set.of());
    }

}
