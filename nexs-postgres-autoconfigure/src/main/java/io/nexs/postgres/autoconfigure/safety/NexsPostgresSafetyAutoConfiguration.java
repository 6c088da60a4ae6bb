package io.nexs.postgres.autoconfigure.safety;

import java.time.Duration;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.InvalidPostgresPropertyException;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Safety;
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
        Duration threshold = positive(properties.getSafety().getLeakThreshold(), "leak-threshold");
        ConnectionLeakDetector detector = new ConnectionLeakDetector(threshold);
        provider.topology().addPoolListener(detector);
        return detector;
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnMissingBean
    SafetyMonitor nexsPostgresSafetyMonitor(NexsPostgresProperties properties, PostgresProvider provider,
            ObjectProvider<ConnectionLeakDetector> leaks, ObjectProvider<SafetyListener> listeners) {
        Safety safety = properties.getSafety();
        SafetyMonitor.Settings settings = new SafetyMonitor.Settings(positive(safety.getInterval(), "interval"),
                positive(safety.getLongRunning(), "long-running"),
                positive(safety.getIdleInTransaction(), "idle-in-transaction"),
                positive(safety.getLockWait(), "lock-wait"), Duration.ofSeconds(5));
        return new SafetyMonitor(provider, settings, leaks.getIfUnique(), listeners.orderedStream().toList());
    }

    private static Duration positive(Duration value, String property) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new InvalidPostgresPropertyException("nexs.postgres.safety." + property, String.valueOf(value),
                    "it must be longer than zero", "Set nexs.postgres.safety." + property + " to a duration such as "
                            + "30s, or turn the safety monitor off with nexs.postgres.safety.enabled=false.");
        }
        return value;
    }

}
