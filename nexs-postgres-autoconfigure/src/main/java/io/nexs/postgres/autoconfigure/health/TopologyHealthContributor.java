package io.nexs.postgres.autoconfigure.health;

import java.util.stream.Stream;

import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;

/**
 * The {@code nexsPostgres} health component: {@code cluster} (can the cluster take writes?) and one component
 * per node, named after it. Nodes added or removed at run time appear and disappear.
 */
class TopologyHealthContributor implements CompositeHealthContributor {

    static final String CLUSTER = "cluster";

    private final ClusterTopology topology;

    private final ClusterHealthIndicator cluster;

    TopologyHealthContributor(ClusterTopology topology) {
        this.topology = topology;
        this.cluster = new ClusterHealthIndicator(topology);
    }

    @Override
    public @Nullable HealthContributor getContributor(String name) {
        if (CLUSTER.equals(name)) {
            return this.cluster;
        }
        return this.topology.nodes().stream().anyMatch((node) -> node.name().equals(name))
                ? new NodeHealthIndicator(this.topology, name) : null;
    }

    @Override
    public Stream<Entry> stream() {
        return Stream.concat(Stream.of(new Entry(CLUSTER, this.cluster)), this.topology.nodes().stream()
            .map(ClusterNode::name)
            .map((name) -> new Entry(name, new NodeHealthIndicator(this.topology, name))));
    }

}
