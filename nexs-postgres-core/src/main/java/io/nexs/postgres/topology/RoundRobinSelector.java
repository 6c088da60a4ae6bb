package io.nexs.postgres.topology;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Each candidate in turn: {@link LoadBalancing#ROUND_ROBIN}. The turn is shared by every read, so reads spread
 * evenly even when the candidates change between them.
 */
final class RoundRobinSelector implements ReplicaSelector {

    private final AtomicInteger turn = new AtomicInteger();

    @Override
    public ClusterNode select(List<ClusterNode> candidates) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        return candidates.get(Math.floorMod(this.turn.getAndIncrement(), candidates.size()));
    }

}
