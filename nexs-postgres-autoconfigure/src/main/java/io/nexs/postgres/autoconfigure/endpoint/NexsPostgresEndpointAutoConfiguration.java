package io.nexs.postgres.autoconfigure.endpoint;

import java.time.Duration;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.observe.RecentActivity;
import io.nexs.postgres.observe.SafetyMonitor;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code nexspostgres} Actuator endpoint, when the application exposes it, and the record of recent failovers
 * and slow statements it reports (a hook, kept only while the endpoint is available).
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(PostgresProvider.class)
@ConditionalOnAvailableEndpoint(NexsPostgresEndpoint.class)
public final class NexsPostgresEndpointAutoConfiguration {

    /** How long a slow statement stays in the endpoint's list. */
    static final Duration SLOW_STATEMENT_WINDOW = Duration.ofMinutes(15);

    @Bean
    @ConditionalOnMissingBean
    RecentActivity nexsPostgresRecentActivity() {
        return new RecentActivity(SLOW_STATEMENT_WINDOW);
    }

    @Bean
    @ConditionalOnMissingBean
    NexsPostgresEndpoint nexsPostgresEndpoint(PostgresProvider provider, ObjectProvider<RecentActivity> activity,
            ObjectProvider<SafetyMonitor> safety) {
        return new NexsPostgresEndpoint(provider, activity.getIfUnique(), safety.getIfUnique());
    }

}
