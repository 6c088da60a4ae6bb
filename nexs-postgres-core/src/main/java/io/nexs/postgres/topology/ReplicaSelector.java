package io.nexs.postgres.topology;

import java.util.List;

/**
 * Chooses the node a read goes to among those its {@link ReadPreference} allows. There is one implementation per
 * {@link LoadBalancing} mode, which {@link LoadBalancing#newSelector()} gives. A selector is called on every read
 * from many threads at once: it must be thread-safe, and neither block nor allocate.
 */
public interface ReplicaSelector {

    /**
     * Picks one node.
     * @param candidates the nodes allowed to serve the read, never empty, in configuration order
     * @return one of the candidates
     */
    ClusterNode select(List<ClusterNode> candidates);

}
