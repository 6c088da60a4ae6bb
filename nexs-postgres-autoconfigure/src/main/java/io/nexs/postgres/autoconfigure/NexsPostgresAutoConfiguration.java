package io.nexs.postgres.autoconfigure;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresProvider;
import org.postgresql.Driver;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of nexs-postgres: the {@link PostgresProvider} over the cluster's nodes (one HikariCP pool
 * each, watched by the topology monitor), and its routed {@link DataSource} as the application's. It runs before
 * Spring Boot's own DataSource auto-configuration, which then backs off; {@code JdbcTemplate},
 * {@code JdbcClient}, {@code @Transactional} and Flyway use the routed data source unchanged. Topology events are
 * published as application events. An application that defines its own {@link DataSource} keeps it, and
 * nexs-postgres opens no pool; so does an application that excludes {@link DataSourceAutoConfiguration}.
 *
 * <p>Each bean comes from a configuration of its own and backs off when the application defines one of the same
 * type: the connection details ({@code postgresConnectionDetails}), the hook registry
 * ({@code postgresHookManager}), the retrier, the row mappers, the cluster ({@code postgresCluster}), the provider
 * ({@code postgresProvider}), the routed {@code dataSource} and the notification listener container.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass({ Driver.class, HikariDataSource.class })
@ConditionalOnProperty(prefix = "nexs.postgres", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(NexsPostgresProperties.class)
@Import({ PostgresConnectionDetailsConfiguration.class, PostgresHooksConfiguration.class,
        PostgresRetryConfiguration.class, PostgresRowMappingConfiguration.class, PostgresPoolsConfiguration.class })
public final class NexsPostgresAutoConfiguration {

}
