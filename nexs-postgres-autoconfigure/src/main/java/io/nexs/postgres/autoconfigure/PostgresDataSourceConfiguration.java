package io.nexs.postgres.autoconfigure;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresProvider;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The routed {@link DataSource} that Spring's JDBC support, transactions, JPA and Flyway use: writes and
 * read-write transactions go to the primary, read-only transactions to a replica.
 */
@Configuration(proxyBeanMethods = false)
class PostgresDataSourceConfiguration {

    static final String DATA_SOURCE = "dataSource";

    /**
     * The application's DataSource. The provider owns the pool and closes it after draining, so this bean has no
     * destroy method of its own.
     * @param provider the provider
     * @return the provider's DataSource
     */
    @Bean(name = DATA_SOURCE, destroyMethod = "")
    DataSource dataSource(PostgresProvider provider) {
        return provider.dataSource();
    }

}
