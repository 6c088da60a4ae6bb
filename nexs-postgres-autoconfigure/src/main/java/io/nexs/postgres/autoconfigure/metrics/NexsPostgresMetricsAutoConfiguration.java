package io.nexs.postgres.autoconfigure.metrics;

import java.time.Duration;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.observe.DefaultPostgresObservationConvention;
import io.nexs.postgres.observe.PoolMetrics;
import io.nexs.postgres.observe.PostgresMeterObservationHandler;
import io.nexs.postgres.observe.PostgresMetrics;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Micrometer metrics of nexs-postgres: the {@code db.connections.*} pool gauges of every node, the counters and
 * node gauges of {@link PostgresMetrics}, and the histogram buckets of {@code db.query.duration}. Spring Boot
 * binds each {@link MeterBinder} to the registry, so Prometheus shows {@code db_connections_active{node="..."}}
 * and the rest. Off with {@code nexs.postgres.metrics.enabled=false}.
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ MeterRegistry.class, MeterBinder.class })
@ConditionalOnBean({ PostgresProvider.class, MeterRegistry.class })
@ConditionalOnProperty(prefix = "nexs.postgres.metrics", name = "enabled", matchIfMissing = true)
public final class NexsPostgresMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PoolMetrics nexsPostgresPoolMetrics(PostgresProvider provider) {
        return new PoolMetrics(provider);
    }

    @Bean
    @ConditionalOnMissingBean
    PostgresMetrics nexsPostgresMetrics(PostgresProvider provider) {
        return new PostgresMetrics(provider);
    }

    /**
     * Times nexs-postgres's observations ahead of Micrometer's default meter handler, in Spring Boot's group of
     * meter handlers, where the first that supports an observation handles it.
     */
    @Bean
    @ConditionalOnClass(name = "io.micrometer.observation.ObservationHandler")
    @ConditionalOnMissingBean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    PostgresMeterObservationHandler nexsPostgresMeterObservationHandler(MeterRegistry registry) {
        return new PostgresMeterObservationHandler(registry);
    }

    @Bean
    static MeterFilter nexsPostgresQueryDurationBuckets(NexsPostgresProperties properties) {
        double[] slo = properties.getMetrics().getSlo().stream().mapToDouble(Duration::toNanos).toArray();
        return new MeterFilter() {
            @Override
            public @Nullable DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER || !DefaultPostgresObservationConvention.NAME.equals(id.getName())
                        || slo.length == 0) {
                    return config;
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(slo).build().merge(config);
            }
        };
    }

}
