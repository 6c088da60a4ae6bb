package io.nexs.postgres.autoconfigure.health;

import java.util.LinkedHashMap;
import java.util.Map;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.pool.NodePool;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * Health of every PostgreSQL node, as the {@code nexsPostgres} component of {@code /actuator/health}: one
 * indicator per node, named {@code host:port}. Switch it off with
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
        Map<String, NodeHealthIndicator> indicators = new LinkedHashMap<>();
        for (NodePool pool : provider.nodes()) {
            indicators.put(pool.name(), new NodeHealthIndicator(pool));
        }
        return CompositeHealthContributor.fromMap(indicators);
    }

}
