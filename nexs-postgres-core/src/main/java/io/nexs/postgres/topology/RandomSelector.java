package io.nexs.postgres.topology;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A candidate at random, each equally likely: {@link LoadBalancing#RANDOM}.
 */
final class RandomSelector implements ReplicaSelector {

    @Override
    public ClusterNode select(List<ClusterNode> candidates) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    }

}
