package io.nexs.postgres.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Where the servers come from: a {@link PostgresConnectionDetails} bean of the application, Spring Boot's
 * {@link JdbcConnectionDetails} (Testcontainers, Docker Compose), or {@code nexs.postgres.*}.
 */
@Configuration(proxyBeanMethods = false)
class PostgresConnectionDetailsConfiguration {

    /**
     * Binds the short form of {@code nexs.postgres.nodes}: {@code host:port} strings.
     * @return the converter
     */
    @Bean
    @ConfigurationPropertiesBinding
    static StringToNodeConverter nexsPostgresNodeConverter() {
        return new StringToNodeConverter();
    }

    @Bean
    @ConditionalOnMissingBean
    PostgresConnectionDetails postgresConnectionDetails(NexsPostgresProperties properties,
            ObjectProvider<JdbcConnectionDetails> jdbc) {
        JdbcConnectionDetails handedOver = jdbc.getIfAvailable();
        return (handedOver != null) ? new JdbcPostgresConnectionDetails(handedOver)
                : new PropertiesPostgresConnectionDetails(properties);
    }

}
