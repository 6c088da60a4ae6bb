package io.nexs.postgres.autoconfigure.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.observe.PoolMetrics;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer metrics of nexs-postgres: the {@code db.connections.*} pool gauges of every node. Spring Boot binds
 * the {@link MeterBinder} to each registry, so Prometheus shows {@code db_connections_active{node="..."}} and
 * its siblings.
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ MeterRegistry.class, MeterBinder.class })
@ConditionalOnBean({ PostgresProvider.class, MeterRegistry.class })
public final class NexsPostgresMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PoolMetrics nexsPostgresPoolMetrics(PostgresProvider provider) {
        return new PoolMetrics(provider);
    }

}
