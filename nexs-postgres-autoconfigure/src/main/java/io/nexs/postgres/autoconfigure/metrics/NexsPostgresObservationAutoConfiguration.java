package io.nexs.postgres.autoconfigure.metrics;

import io.micrometer.observation.ObservationRegistry;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.observe.DefaultPostgresObservationConvention;
import io.nexs.postgres.observe.ObservingHook;
import io.nexs.postgres.observe.PostgresObservationConvention;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.NodeAddress;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Observes every query, statement, batch, {@code COPY} and transaction of nexs-postgres with the application's
 * {@link ObservationRegistry}: Spring Boot turns each observation into a sample of {@code db.query.duration}
 * and, with tracing, into a span. A {@link PostgresObservationConvention} bean replaces the default names and
 * tags. Off with {@code nexs.postgres.metrics.observations=false}.
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ PostgresProvider.class, ObservationRegistry.class })
@ConditionalOnProperty(prefix = "nexs.postgres.metrics", name = "observations", matchIfMissing = true)
public final class NexsPostgresObservationAutoConfiguration {

    /** First of the hooks: its spans and timings enclose what the other hooks do. */
    @Bean
    @ConditionalOnMissingBean
    @Order(Ordered.HIGHEST_PRECEDENCE + 100)
    ObservingHook nexsPostgresObservingHook(ObservationRegistry registry,
            ObjectProvider<PostgresObservationConvention> convention, NexsPostgresProperties properties,
            ObjectProvider<PostgresProvider> provider) {
        DefaultPostgresObservationConvention defaults = new DefaultPostgresObservationConvention(
                properties.getDatabase(), properties.getMetrics().isQueryTag(), properties.getTracing().isIncludeSql(),
                (node) -> addressOf(provider.getObject(), node));
        return new ObservingHook(registry, convention.getIfUnique(), defaults);
    }

    private static @Nullable NodeAddress addressOf(PostgresProvider provider, String node) {
        for (ClusterNode candidate : provider.topology().nodes()) {
            if (candidate.name().equals(node)) {
                return candidate.address();
            }
        }
        return null;
    }

}
