package io.nexs.postgres.autoconfigure.metrics;

import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.observation.ObservationRegistry;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.observe.DefaultPostgresObservationConvention;
import io.nexs.postgres.observe.ObservingHook;
import io.nexs.postgres.observe.PostgresObservationConvention;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.pool.NodeAddress;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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

    /** What Micrometer's meter handlers record of the observations. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterFilter.class)
    static final class MeterFilters {

        /**
         * Drops the long-task timer Micrometer's default handler adds to every observation: an operation's node and
         * role are only known once it ends, so the in-flight timer would only show {@code node="none"}.
         */
        @Bean
        static MeterFilter nexsPostgresNoInFlightQueryTimer() {
            return MeterFilter
                .deny((id) -> (DefaultPostgresObservationConvention.NAME + ".active").equals(id.getName()));
        }

        /** With nexs-postgres's metrics off, its observations still make spans, but no timer. */
        @Bean
        @ConditionalOnProperty(prefix = "nexs.postgres.metrics", name = "enabled", havingValue = "false")
        static MeterFilter nexsPostgresNoQueryTimer() {
            return MeterFilter.deny((id) -> id.getName().startsWith(DefaultPostgresObservationConvention.NAME));
        }

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
