package io.nexs.postgres.autoconfigure;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.NodePoolCustomizer;
import org.postgresql.Driver;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of nexs-postgres: the {@link PostgresProvider} and its HikariCP pool, exposed as the
 * application's {@link DataSource}. It runs before Spring Boot's own DataSource auto-configuration, which then
 * backs off, so the application has exactly one pool; {@code JdbcTemplate}, {@code JdbcClient},
 * {@code @Transactional} and Flyway use it unchanged. An application that defines its own {@link DataSource}
 * keeps it, and nexs-postgres opens no pool.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass({ Driver.class, HikariDataSource.class })
@ConditionalOnProperty(prefix = "nexs.postgres", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(NexsPostgresProperties.class)
public final class NexsPostgresAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean({ DataSource.class, XADataSource.class })
    static class PostgresDataSourceConfiguration {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(PostgresProvider.class)
        DefaultPostgresProvider postgresProvider(NexsPostgresProperties properties,
                ObjectProvider<JdbcConnectionDetails> connectionDetails,
                ObjectProvider<NodePoolCustomizer> customizers, Environment environment) {
            ResolvedSettings settings = ResolvedSettings.resolve(properties, connectionDetails.getIfAvailable(),
                    environment.getProperty("spring.application.name"));
            NodePool pool = new NodePool(settings.connection(), settings.pool(),
                    customizers.orderedStream().toList());
            pool.start();
            return new DefaultPostgresProvider(pool);
        }

        /**
         * The application's DataSource. The provider owns the pool and closes it after draining, so this bean
         * has no destroy method of its own.
         * @param provider the provider
         * @return the provider's DataSource
         */
        @Bean(destroyMethod = "")
        DataSource dataSource(PostgresProvider provider) {
            return provider.dataSource();
        }

    }

}
