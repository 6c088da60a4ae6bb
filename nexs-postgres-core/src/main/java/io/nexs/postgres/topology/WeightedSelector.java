package io.nexs.postgres.topology;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A candidate at random, in proportion to the weight its {@link NodeDefinition} gives it:
 * {@link LoadBalancing#WEIGHTED}.
 */
final class WeightedSelector implements ReplicaSelector {

    @Override
    public ClusterNode select(List<ClusterNode> candidates) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        int total = 0;
        for (ClusterNode candidate : candidates) {
            total += candidate.definition().weight();
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (ClusterNode candidate : candidates) {
            pick -= candidate.definition().weight();
            if (pick < 0) {
                return candidate;
            }
        }
        return candidates.get(candidates.size() - 1);
    }

}
