package io.nexs.postgres.autoconfigure;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.NodePoolCustomizer;
import io.nexs.postgres.topology.NodeUnavailableException;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of nexs-postgres: the {@link PostgresProvider} and its HikariCP pool, exposed as the
 * application's {@link DataSource}. It runs before Spring Boot's own DataSource auto-configuration, which then
 * backs off, so the application has exactly one pool; {@code JdbcTemplate}, {@code JdbcClient},
 * {@code @Transactional} and Flyway use it unchanged.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass({ Driver.class, HikariDataSource.class })
@ConditionalOnProperty(prefix = "nexs.postgres", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(NexsPostgresProperties.class)
public final class NexsPostgresAutoConfiguration {

    private static final Logger logger = LoggerFactory.getLogger(NexsPostgresAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(PostgresProvider.class)
    DefaultPostgresProvider postgresProvider(NexsPostgresProperties properties,
            ObjectProvider<JdbcConnectionDetails> connectionDetails, ObjectProvider<NodePoolCustomizer> customizers,
            Environment environment) {
        ResolvedSettings settings = ResolvedSettings.resolve(properties, connectionDetails.getIfAvailable(),
                environment.getProperty("spring.application.name"));
        NodePool pool = new NodePool(settings.connection(), settings.pool(), customizers.orderedStream().toList());
        try {
            if (settings.pool().warmUp()) {
                warmUp(pool);
            }
        }
        catch (RuntimeException ex) {
            pool.close();
            throw ex;
        }
        return new DefaultPostgresProvider(pool);
    }

    private static void warmUp(NodePool pool) {
        try {
            pool.warmUp();
        }
        catch (NodeUnavailableException ex) {
            if (pool.settings().failFast()) {
                throw ex;
            }
            logger.warn("Starting without PostgreSQL at {}; the pool keeps trying to connect: {}", pool.name(),
                    ex.getMessage());
        }
    }

    /**
     * The application's DataSource. The provider owns the pool and closes it after draining, so this bean has
     * no destroy method of its own.
     * @param provider the provider
     * @return the provider's DataSource
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean(DataSource.class)
    DataSource dataSource(PostgresProvider provider) {
        return provider.dataSource();
    }

}
