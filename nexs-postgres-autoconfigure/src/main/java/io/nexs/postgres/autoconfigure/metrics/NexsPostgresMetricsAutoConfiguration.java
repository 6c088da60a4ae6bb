package io.nexs.postgres.autoconfigure.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.observe.PostgresMetrics;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Import;

/**
 * Micrometer metrics of nexs-postgres: the {@code db.connections.*} pool gauges of every node, the counters and
 * node gauges of {@link PostgresMetrics}, and the histogram buckets of {@code db.query.duration}. Spring Boot
 * binds each {@link MeterBinder} to the registry, so Prometheus shows {@code db_connections_active{node="..."}}
 * and the rest. Off with {@code nexs.postgres.metrics.enabled=false}. The meter binders and the query timer's
 * settings come from configurations of their own, and each bean backs off for one of the application's.
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ MeterRegistry.class, MeterBinder.class })
@ConditionalOnBean({ PostgresProvider.class, MeterRegistry.class })
@ConditionalOnProperty(prefix = "nexs.postgres.metrics", name = "enabled", matchIfMissing = true)
@Import({ PostgresMeterBindersConfiguration.class, PostgresQueryTimerConfiguration.class })
public final class NexsPostgresMetricsAutoConfiguration {

}
