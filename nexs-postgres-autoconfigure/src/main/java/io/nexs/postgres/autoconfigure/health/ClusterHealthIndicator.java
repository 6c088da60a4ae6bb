package io.nexs.postgres.autoconfigure.health;

import java.util.List;
import java.util.Optional;

import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.NodeHealth;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Whether the cluster can take writes: {@code UP} with the primary's name (and the replicas serving reads) while
 * one node takes writes,
 * {@code DOWN} when none does (failover in progress, or split-brain with no node on a newer timeline), which is
 * what takes the application out of service.
 */
class ClusterHealthIndicator implements HealthIndicator {

    private final ClusterTopology topology;

    ClusterHealthIndicator(ClusterTopology topology) {
        this.topology = topology;
    }

    @Override
    public Health health() {
        List<NodeHealth> nodes = this.topology.health();
        Optional<ClusterNode> primary = this.topology.primary();
        Health.Builder builder = primary.isPresent() ? Health.up() : Health.down();
        builder.withDetail("primary", primary.map(ClusterNode::name).orElse("none"));
        builder.withDetail("replicas", nodes.stream()
            .filter((node) -> node.role() == NodeRole.REPLICA && node.state() == NodeState.HEALTHY
                    && node.readsWithheld() == null)
            .map(NodeHealth::name)
            .toList());
        List<String> notServing = nodes.stream()
            .filter((node) -> node.state() != NodeState.HEALTHY || node.stale() || node.readsWithheld() != null)
            .map((node) -> node.name() + " (" + notServing(node) + ")")
            .toList();
        if (!notServing.isEmpty()) {
            builder.withDetail("notServing", notServing);
        }
        if (this.topology.isSplitBrain()) {
            builder.withDetail("splitBrain", nodes.stream()
                .filter((node) -> node.role() == NodeRole.PRIMARY && node.state() == NodeState.HEALTHY)
                .map(NodeHealth::name)
                .toList());
        }
        return builder.build();
    }

    private static String notServing(NodeHealth node) {
        if (node.stale()) {
            return "stale timeline";
        }
        return (node.state() == NodeState.HEALTHY && node.readsWithheld() != null)
                ? "no reads: " + node.readsWithheld() : node.state().label();
    }

}
