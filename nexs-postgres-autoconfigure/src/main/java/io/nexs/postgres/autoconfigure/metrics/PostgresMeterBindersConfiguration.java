package io.nexs.postgres.autoconfigure.metrics;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.observe.PoolMetrics;
import io.nexs.postgres.observe.PostgresMetrics;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@link MeterBinder}s: the pool gauges of every node, and the counters and node gauges of the provider.
 */
@Configuration(proxyBeanMethods = false)
class PostgresMeterBindersConfiguration {

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

}
