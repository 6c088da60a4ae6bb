package io.nexs.postgres.autoconfigure.health;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolStats;
import io.nexs.postgres.topology.NodeStatus;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of one PostgreSQL node: up when a round trip through its pool succeeds, with the node's address,
 * role, server version, round-trip latency and pool figures.
 */
class NodeHealthIndicator extends AbstractHealthIndicator {

    private final NodePool pool;

    NodeHealthIndicator(NodePool pool) {
        super("PostgreSQL health check failed");
        this.pool = pool;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("address", this.pool.name());
        try {
            NodeStatus status = this.pool.check();
            builder.up()
                .withDetail("role", status.role().label())
                .withDetail("version", status.serverVersion())
                .withDetail("latencyMs", Math.round(status.roundTrip().toNanos() / 1_000.0) / 1_000.0);
        }
        catch (SQLException ex) {
            builder.down(ex).withDetail("role", this.pool.role().label());
        }
        builder.withDetail("pool", poolDetails(this.pool.stats()));
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
