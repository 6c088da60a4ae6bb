package io.nexs.postgres.autoconfigure;

import java.sql.SQLException;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.hook.SlowQueryLogger;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.pool.NodePoolCustomizer;
import io.nexs.postgres.query.JacksonJsonCodec;
import io.nexs.postgres.query.JsonCodec;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.TransientErrors;
import org.postgresql.Driver;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.aot.AotDetector;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.MethodMetadata;
import org.springframework.transaction.TransactionExecutionListener;

/**
 * Auto-configuration of nexs-postgres: the {@link PostgresProvider} over the cluster's nodes (one HikariCP pool
 * each, watched by the topology monitor), and its routed {@link DataSource} as the application's. It runs before
 * Spring Boot's own DataSource auto-configuration, which then backs off; {@code JdbcTemplate},
 * {@code JdbcClient}, {@code @Transactional} and Flyway use the routed data source unchanged. Topology events are
 * published as application events. An application that defines its own {@link DataSource} keeps it, and
 * nexs-postgres opens no pool; so does an application that excludes {@link DataSourceAutoConfiguration}.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass({ Driver.class, HikariDataSource.class })
@ConditionalOnProperty(prefix = "nexs.postgres", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(NexsPostgresProperties.class)
public final class NexsPostgresAutoConfiguration {

    static int fetchSize(NexsPostgresProperties properties) {
        int fetchSize = properties.getQuery().getFetchSize();
        if (fetchSize < 1) {
            throw new InvalidPostgresPropertyException("nexs.postgres.query.fetch-size", String.valueOf(fetchSize),
                    "a stream needs at least one row per round trip",
                    "Set nexs.postgres.query.fetch-size to a positive number of rows (the default is 1000).");
        }
        return fetchSize;
    }

    static CopyOptions copyDefaults(NexsPostgresProperties properties) {
        NexsPostgresProperties.Copy copy = properties.getCopy();
        int parallelism = copy.getParallelism();
        if (parallelism < 1 || parallelism > CopyOptions.MAX_PARALLELISM) {
            throw new InvalidPostgresPropertyException("nexs.postgres.copy.parallelism", String.valueOf(parallelism),
                    "a load uses from 1 to " + CopyOptions.MAX_PARALLELISM + " connections",
                    "Set nexs.postgres.copy.parallelism between 1 and " + CopyOptions.MAX_PARALLELISM
                            + ", and below the pool's maximum size.");
        }
        if (parallelism > 1 && copy.getMode() == CopyMode.ATOMIC) {
            throw new InvalidPostgresPropertyException("nexs.postgres.copy.parallelism", String.valueOf(parallelism),
                    "an atomic COPY loads in one transaction, on one connection",
                    "Set nexs.postgres.copy.mode=per-chunk to load chunks over several connections, or set "
                            + "nexs.postgres.copy.parallelism=1.");
        }
        if (copy.getChunkRows() < 1) {
            throw new InvalidPostgresPropertyException("nexs.postgres.copy.chunk-rows",
                    String.valueOf(copy.getChunkRows()), "a chunk holds at least one row",
                    "Set nexs.postgres.copy.chunk-rows to a positive number of rows (the default is "
                            + CopyOptions.DEFAULT_CHUNK_ROWS + ").");
        }
        return CopyOptions.defaults().withMode(copy.getMode()).withParallelism(parallelism)
            .withChunkRows(copy.getChunkRows());
    }

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
     * The hooks called around database work. Hook beans are registered once every singleton exists, so a hook
     * may depend on the provider it observes.
     * @param properties the properties
     * @return the hook manager
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    HookManager postgresHookManager(NexsPostgresProperties properties) {
        return ResilienceSettings.hookManager(properties.getHooks());
    }

    @Bean
    static SmartInitializingSingleton postgresHookRegistrar(ObjectProvider<HookManager> hookManager,
            ConfigurableListableBeanFactory beanFactory) {
        return () -> {
            HookManager manager = hookManager.getIfUnique();
            if (manager == null || manager == HookManager.none()) {
                return;
            }
            // at the order Spring gives each bean, which counts an @Order on its @Bean method too
            beanFactory.getBeansOfType(PostgresHook.class).forEach((name, hook) -> {
                if (beanFactory instanceof DefaultListableBeanFactory factory) {
                    manager.register(hook, factory.getOrder(name, hook));
                }
                else {
                    manager.register(hook);
                }
            });
        };
    }

    /**
     * Calls the transaction hooks; Spring Boot adds it to the application's transaction manager too, so
     * {@code @Transactional} work reaches them.
     * @param hookManager the hooks
     * @return the listener
     */
    @Bean
    TransactionExecutionListener postgresHookTransactionListener(HookManager hookManager) {
        return hookManager.transactionListener();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "nexs.postgres.hooks.slow-query", name = "threshold")
    SlowQueryLogger postgresSlowQueryLogger(NexsPostgresProperties properties) {
        return new SlowQueryLogger(ResilienceSettings.slowQueryThreshold(properties.getHooks()));
    }

    @Bean
    @ConditionalOnMissingBean
    TransientErrors postgresTransientErrors(NexsPostgresProperties properties, ResourceLoader resourceLoader) {
        return ResilienceSettings.transientErrors(properties.getRetry(), resourceLoader.getClassLoader());
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
        return new Retrier(ResilienceSettings.retrySettings(properties.getRetry()), transientErrors);
    }

    @Bean
    @ConditionalOnMissingBean
    RowMappers postgresRowMappers(NexsPostgresProperties properties, ObjectProvider<JsonCodec> json) {
        return new RowMappers(properties.getQuery().getUnmappedColumns(), json.getIfAvailable());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(JsonMapper.class)
    static class JacksonConfiguration {

        @Bean
        @ConditionalOnMissingBean
        JsonCodec postgresJsonCodec(ObjectProvider<JsonMapper> jsonMapper) {
            return new JacksonJsonCodec(jsonMapper.getIfAvailable(JsonMapper::new));
        }

    }

    /**
     * The pools, the provider and the routed {@link DataSource}: only when the application has no data source of
     * its own and does not exclude Spring Boot's {@link DataSourceAutoConfiguration}.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean({ DataSource.class, XADataSource.class })
    @Conditional(OnDataSourceAutoConfigurationCondition.class)
    static class PostgresDataSourceConfiguration {

        private static final String PROVIDER = "postgresProvider";

        private static final String DATA_SOURCE = "dataSource";

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(PostgresProvider.class)
        DefaultPostgresProvider postgresProvider(NexsPostgresProperties properties,
                ObjectProvider<JdbcConnectionDetails> connectionDetails,
                ObjectProvider<NodePoolCustomizer> customizers, RowMappers rowMappers, Environment environment,
                ApplicationEventPublisher events, HookManager hooks, Retrier retrier) {
            int fetchSize = fetchSize(properties);
            CopyOptions copyDefaults = copyDefaults(properties);
            ResolvedSettings settings = ResolvedSettings.resolve(properties, connectionDetails.getIfAvailable(),
                    environment.getProperty("spring.application.name"));
            ClusterTopology topology = new DefaultClusterTopology(settings.nodes(), settings.topology(),
                    customizers.orderedStream().toList());
            topology.addListener(events::publishEvent);
            topology.start();
            DefaultPostgresProvider provider = new DefaultPostgresProvider(topology, rowMappers, fetchSize, hooks,
                    retrier);
            provider.setCopyDefaults(copyDefaults);
            return provider;
        }

        /**
         * Creates the provider only on demand when a test has put an embedded database in place of the routed
         * {@code dataSource} ({@code @AutoConfigureTestDatabase}, whose processor replaces that bean definition
         * before this runs): a test slice on an embedded database then opens no pool to the configured servers,
         * which the test machine may not reach, while a bean of the application that asks for the provider still
         * gets it.
         * @return the post-processor
         */
        @Bean
        static BeanFactoryPostProcessor postgresProviderOnDemandWhenTheDataSourceIsReplaced() {
            return (beanFactory) -> {
                // AOT-generated definitions carry no factory method metadata, and no test database replaces any
                if (AotDetector.useGeneratedArtifacts()) {
                    return;
                }
                if (beanFactory.containsBeanDefinition(PROVIDER) && beanFactory.containsBeanDefinition(DATA_SOURCE)
                        && !isDefinedHere(beanFactory.getBeanDefinition(DATA_SOURCE))) {
                    beanFactory.getBeanDefinition(PROVIDER).setLazyInit(true);
                }
            };
        }

        private static boolean isDefinedHere(BeanDefinition definition) {
            MethodMetadata factoryMethod = (definition instanceof AnnotatedBeanDefinition annotated)
                    ? annotated.getFactoryMethodMetadata() : null;
            return factoryMethod != null
                    && factoryMethod.getDeclaringClassName().equals(PostgresDataSourceConfiguration.class.getName());
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

        /**
         * LISTEN on a connection of its own to the primary; after a failover it reconnects to the new primary. Lazy: the connection and the delivery thread exist
         * only in applications that inject the container.
         * @param provider the provider
         * @return the started container
         */
        @Bean(destroyMethod = "close")
        @Lazy
        @ConditionalOnMissingBean
        NotificationListenerContainer postgresNotificationListenerContainer(PostgresProvider provider) {
            NotificationListenerContainer container = new NotificationListenerContainer(() -> {
                try {
                    return provider.primary().openConnection();
                }
                catch (FailoverInProgressException ex) {
                    // no primary right now: the container retries with back-off, as after any failed connect
                    throw new SQLException(ex.getMessage(), "08001", ex);
                }
            });
            container.start();
            return container;
        }

    }

}
