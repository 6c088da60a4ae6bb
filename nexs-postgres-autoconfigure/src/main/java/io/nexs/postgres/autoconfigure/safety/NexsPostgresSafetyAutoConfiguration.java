package io.nexs.postgres.autoconfigure.safety;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.autoconfigure.PostgresSettings;
import io.nexs.postgres.observe.ConnectionLeakDetector;
import io.nexs.postgres.observe.SafetyListener;
import io.nexs.postgres.observe.SafetyMonitor;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The safety monitor ({@code nexs.postgres.safety.*}): connection leaks when a threshold is set, and long
 * statements, idle transactions, lock waits and deadlocks of this application, logged once each, counted in the
 * metrics and listed by the {@code nexspostgres} endpoint.
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class)
@ConditionalOnBean(PostgresProvider.class)
@ConditionalOnProperty(prefix = "nexs.postgres.safety", name = "enabled", matchIfMissing = true)
public final class NexsPostgresSafetyAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "nexs.postgres.safety", name = "leak-threshold")
    ConnectionLeakDetector nexsPostgresConnectionLeakDetector(NexsPostgresProperties properties,
            PostgresProvider provider) {
        ConnectionLeakDetector detector = new ConnectionLeakDetector(PostgresSettings.leakThreshold(properties));
        provider.topology().addPoolListener(detector);
        return detector;
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnMissingBean
    SafetyMonitor nexsPostgresSafetyMonitor(NexsPostgresProperties properties, PostgresProvider provider,
            ObjectProvider<ConnectionLeakDetector> leaks, ObjectProvider<SafetyListener> listeners) {
        return new SafetyMonitor(provider, PostgresSettings.safety(properties), leaks.getIfUnique(), listeners.orderedStream().toList());
    }

}
