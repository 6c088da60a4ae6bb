package io.nexs.postgres.autoconfigure.health;

import java.util.LinkedHashMap;
import java.util.Map;

import io.nexs.postgres.pool.PoolStats;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.NodeHealth;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of one PostgreSQL node as the topology monitor last saw it: no round trip of its own, so a health probe
 * never waits on a slow server. {@code UP} while the node serves; a node that does not ({@code unhealthy},
 * {@code recovering}, in maintenance, on a stale timeline, or a replica whose reads are withheld because its lag
 * is above or not yet known under the lag limit) reports {@link #DEGRADED} or {@link #MAINTENANCE},
 * statuses that Spring Boot leaves out of the overall status unless configured otherwise, so a lost replica does
 * not take the application out of service. While no node takes writes, a failed node that is not known to be a
 * replica reports {@code DOWN}.
 */
class NodeHealthIndicator implements HealthIndicator {

    /** A node that is not serving, while the application as a whole still can. */
    static final Status DEGRADED = new Status("DEGRADED", "The node serves no requests; the others do");

    /** A node taken out of service on purpose. */
    static final Status MAINTENANCE = new Status("MAINTENANCE", "The node was put in maintenance");

    private final ClusterTopology topology;

    private final String name;

    NodeHealthIndicator(ClusterTopology topology, String name) {
        this.topology = topology;
        this.name = name;
    }

    @Override
    public Health health() {
        ClusterNode node = this.topology.nodes().stream()
            .filter((candidate) -> candidate.name().equals(this.name))
            .findFirst()
            .orElse(null);
        NodeHealth health = (node == null) ? null : this.topology.health().stream()
            .filter((candidate) -> candidate.name().equals(this.name))
            .findFirst()
            .orElse(null);
        if (node == null || health == null) {
            return Health.unknown().withDetail("state", "removed").build();
        }
        Health.Builder builder = new Health.Builder(status(health));
        builder.withDetail("address", health.address().toString())
            .withDetail("state", health.state().label())
            .withDetail("role", health.role().label())
            .withDetail("writable", health.writable());
        if (health.stale()) {
            builder.withDetail("stale", (health.role() == NodeRole.REPLICA)
                    ? "follows timeline " + health.timeline() + ", older than the newest primary's: serves no reads "
                            + "until it follows the new primary"
                    : "reports primary on timeline " + health.timeline()
                            + ", older than the current primary's: takes no work until rebuilt as a replica");
        }
        if (health.readsWithheld() != null) {
            builder.withDetail("readsWithheld", health.readsWithheld());
        }
        if (health.timeline() > 0) {
            builder.withDetail("timeline", health.timeline());
        }
        if (health.serverVersion() != null) {
            builder.withDetail("version", health.serverVersion());
        }
        if (health.latency() != null) {
            builder.withDetail("latencyMs", millis(health.latency().toNanos()));
        }
        if (health.role() == NodeRole.REPLICA) {
            if (health.replayLag() != null) {
                builder.withDetail("lagMs", millis(health.replayLag().toNanos()));
            }
            if (health.replayLagBytes() != null) {
                builder.withDetail("lagBytes", health.replayLagBytes());
            }
        }
        if (health.consecutiveFailures() > 0) {
            builder.withDetail("failedChecks", health.consecutiveFailures());
        }
        if (health.lastError() != null) {
            builder.withDetail("lastError", health.lastError());
        }
        if (!node.definition().tags().isEmpty()) {
            builder.withDetail("tags", node.definition().tags());
        }
        builder.withDetail("pool", poolDetails(node.pool().stats()));
        return builder.build();
    }

    private Status status(NodeHealth health) {
        if (health.state() == NodeState.HEALTHY && !health.stale() && health.readsWithheld() == null) {
            return Status.UP;
        }
        if (health.state() == NodeState.MAINTENANCE) {
            return MAINTENANCE;
        }
        // Without a writable primary, a failed node that is not known to be a replica may be the missing primary.
        if (this.topology.primary().isEmpty() && health.role() != NodeRole.REPLICA && !health.stale()) {
            return Status.DOWN;
        }
        return DEGRADED;
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }

    private static Map<String, Integer> poolDetails(PoolStats stats) {
        Map<String, Integer> details = new LinkedHashMap<>();
        details.put("active", stats.active());
        details.put("idle", stats.idle());
        details.put("pending", stats.pending());
        details.put("max", stats.max());
        return details;
    }

}
