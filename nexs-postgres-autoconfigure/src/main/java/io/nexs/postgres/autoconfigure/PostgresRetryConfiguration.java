package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.TransientErrors;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;

/**
 * Which failures are transient, and how they are retried.
 */
@Configuration(proxyBeanMethods = false)
class PostgresRetryConfiguration {

    @Bean
    @ConditionalOnMissingBean
    TransientErrors postgresTransientErrors(NexsPostgresProperties properties, ResourceLoader resourceLoader) {
        return PostgresSettings.transientErrors(properties, resourceLoader.getClassLoader());
    }

    /**
     * How transient failures are retried, and the statistics of it.
     * @param properties the properties
     * @param transientErrors which failures are transient
     * @return the retrier
     */
    @Bean
    @ConditionalOnMissingBean
    Retrier postgresRetrier(NexsPostgresProperties properties, TransientErrors transientErrors) {
        return new Retrier(PostgresSettings.retry(properties), transientErrors);
    }

}
