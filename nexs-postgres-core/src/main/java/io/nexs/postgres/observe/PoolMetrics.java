package io.nexs.postgres.observe;

import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection-pool gauges for every node, tagged with the node's name: {@code db.connections.active},
 * {@code .idle}, {@code .pending} and {@code .max} (Prometheus: {@code db_connections_active} and so on).
 */
public class PoolMetrics implements MeterBinder {

    /** Prefix of every pool gauge. */
    public static final String PREFIX = "db.connections";

    /** Tag that names the node, {@code host:port}. */
    public static final String NODE_TAG = "node";

    private static final Logger logger = LoggerFactory.getLogger(PoolMetrics.class);

    private final PostgresProvider provider;

    /**
     * Creates the binder.
     * @param provider the provider whose nodes are measured
     */
    public PoolMetrics(PostgresProvider provider) {
        this.provider = provider;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (NodePool pool : this.provider.nodes()) {
            try {
                gauge(registry, pool, "active", "Connections borrowed from the pool", PoolStats::active);
                gauge(registry, pool, "idle", "Connections open and idle in the pool", PoolStats::idle);
                gauge(registry, pool, "pending", "Callers waiting for a connection", PoolStats::pending);
                gauge(registry, pool, "max", "Most connections the pool may open", PoolStats::max);
            }
            catch (RuntimeException ex) {
                logger.warn("Could not register the pool metrics of node {}", pool.name(), ex);
            }
        }
    }

    private static void gauge(MeterRegistry registry, NodePool pool, String name, String description,
            ToDoubleFunction<PoolStats> value) {
        Gauge.builder(PREFIX + "." + name, pool, (measured) -> value.applyAsDouble(measured.stats()))
            .description(description)
            .tag(NODE_TAG, pool.name())
            .register(registry);
    }

}
