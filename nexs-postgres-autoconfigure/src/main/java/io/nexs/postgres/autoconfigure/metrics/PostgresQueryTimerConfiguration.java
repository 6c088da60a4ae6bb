package io.nexs.postgres.autoconfigure.metrics;

import java.time.Duration;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.observe.DefaultPostgresObservationConvention;
import io.nexs.postgres.observe.PostgresMeterObservationHandler;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * How observations become the {@code db.query.duration} timer: its handler and its histogram buckets.
 */
@Configuration(proxyBeanMethods = false)
class PostgresQueryTimerConfiguration {

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
