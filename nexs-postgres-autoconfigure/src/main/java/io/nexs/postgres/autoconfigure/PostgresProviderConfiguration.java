package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.tx.Retrier;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The provider: the query API over the cluster, with the hooks and the retrier.
 */
@Configuration(proxyBeanMethods = false)
class PostgresProviderConfiguration {

    static final String PROVIDER = "postgresProvider";

    /**
     * The provider over the cluster, which it closes when the context closes.
     * @param properties the properties
     * @param cluster the cluster, started when first asked for
     * @param rowMappers the row mappers
     * @param hooks the hook registry
     * @param retrier how transient failures are retried
     * @return the provider
     */
    @Bean(name = PROVIDER, destroyMethod = "close")
    @ConditionalOnMissingBean(PostgresProvider.class)
    DefaultPostgresProvider postgresProvider(NexsPostgresProperties properties, ObjectProvider<ClusterTopology> cluster,
            RowMappers rowMappers, HookManager hooks, Retrier retrier) {
        // checked before the cluster opens its pools, so a bad value fails fast even with no server to reach
        int fetchSize = PostgresSettings.fetchSize(properties);
        CopyOptions copyDefaults = PostgresSettings.copyDefaults(properties);
        DefaultPostgresProvider provider = new DefaultPostgresProvider(cluster.getObject(), rowMappers, fetchSize,
                hooks, retrier);
        provider.setCopyDefaults(copyDefaults);
        return provider;
    }

}
