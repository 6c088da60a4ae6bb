package io.nexs.postgres.autoconfigure.health;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Health of the PostgreSQL cluster, as the {@code nexsPostgres} component of {@code /actuator/health}: a
 * {@code cluster} indicator that is {@code DOWN} when no node takes writes, and one indicator per node (state,
 * role, lag, latency, pool figures) from the topology monitor's last check. Switch it off with
 * {@code management.health.nexs-postgres.enabled=false}.
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class)
@ConditionalOnClass({ HealthContributor.class, ConditionalOnEnabledHealthIndicator.class })
@ConditionalOnBean(PostgresProvider.class)
@ConditionalOnEnabledHealthIndicator("nexs-postgres")
public final class NexsPostgresHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "nexsPostgresHealthContributor")
    CompositeHealthContributor nexsPostgresHealthContributor(PostgresProvider provider) {
        return new TopologyHealthContributor(provider.topology());
    }

}
