package io.nexs.postgres.autoconfigure.web;

import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties;
import io.nexs.postgres.autoconfigure.PostgresSettings;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.topology.ClusterTopology;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Read-your-writes across requests in a Spring MVC application: unless {@code nexs.postgres.replicas.consistency} is
 * {@code eventual}, a {@link ConsistencyTokenInterceptor} on every handler gives each request its scope, whether it
 * brings a token or not, reads the consistency token from
 * the request header named by {@code nexs.postgres.replicas.consistency-header} and writes the request's own into
 * the response. Backs off without Spring MVC, without the cluster, and when the application defines its own
 * interceptor (to register it for some paths only, for example).
 */
@AutoConfiguration(after = NexsPostgresAutoConfiguration.class)
@ConditionalOnClass({ HandlerInterceptor.class, WebMvcConfigurer.class, HttpServletRequest.class })
@ConditionalOnBean(ClusterTopology.class)
@Conditional(NexsPostgresWebMvcAutoConfiguration.ReadYourWrites.class)
public final class NexsPostgresWebMvcAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ConsistencyTokenInterceptor nexsPostgresConsistencyTokenInterceptor(NexsPostgresProperties properties) {
        return new ConsistencyTokenInterceptor(PostgresSettings.consistencyHeader(properties));
    }

    /**
     * Registers the interceptor for every handler, unless the application defined its own, which it then registers
     * where it wants.
     * @param interceptor the interceptor of this configuration
     * @return the configurer
     */
    @Bean
    @ConditionalOnBean(name = "nexsPostgresConsistencyTokenInterceptor")
    WebMvcConfigurer nexsPostgresConsistencyTokenWebMvcConfigurer(ConsistencyTokenInterceptor interceptor) {
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(interceptor);
            }
        };
    }

    /** The configured consistency is read-your-writes, however it is spelt, or not set: the default. */
    static final class ReadYourWrites implements Condition {

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Binder.get(context.getEnvironment())
                .bind("nexs.postgres.replicas.consistency", ReadConsistency.class)
                .map((level) -> level == ReadConsistency.READ_YOUR_WRITES)
                .orElse(true);
        }

    }

}
