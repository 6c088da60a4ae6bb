package io.nexs.postgres.topology;

import java.util.List;

/**
 * The candidate whose checks answered fastest lately: {@link LoadBalancing#LATENCY}. A node not measured yet is
 * chosen only when no candidate has been measured; among equals the first configured wins.
 */
final class LatencySelector implements ReplicaSelector {

    @Override
    public ClusterNode select(List<ClusterNode> candidates) {
        ClusterNode best = candidates.get(0);
        long bestLatency = best.snapshot().latencyNanos();
        for (int i = 1; i < candidates.size(); i++) {
            ClusterNode candidate = candidates.get(i);
            long latency = candidate.snapshot().latencyNanos();
            if (latency >= 0 && (bestLatency < 0 || latency < bestLatency)) {
                best = candidate;
                bestLatency = latency;
            }
        }
        return best;
    }

}
