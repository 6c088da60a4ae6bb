package io.nexs.postgres.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Where the servers come from: a {@link PostgresConnectionDetails} bean of the application, Spring Boot's
 * {@link JdbcConnectionDetails} (Testcontainers, Docker Compose), {@code nexs.postgres.*}, or, when that names no
 * server, {@code spring.datasource.url}.
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

    /**
     * The connection details: Spring Boot's {@link JdbcConnectionDetails} when one is handed over, else
     * {@code nexs.postgres.*}, or {@code spring.datasource.*} when that names no server.
     * @param properties the properties
     * @param jdbc the JDBC connection details, if any
     * @param environment gives {@code spring.datasource.*}
     * @return the details
     */
    @Bean
    @ConditionalOnMissingBean
    PostgresConnectionDetails postgresConnectionDetails(NexsPostgresProperties properties,
            ObjectProvider<JdbcConnectionDetails> jdbc, Environment environment) {
        JdbcConnectionDetails handedOver = jdbc.getIfAvailable();
        return (handedOver != null) ? new JdbcPostgresConnectionDetails(handedOver)
                : new PropertiesPostgresConnectionDetails(properties, SpringDataSourceProperties.of(environment));
    }

}
