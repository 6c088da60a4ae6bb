package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.pool.NodePoolCustomizer;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.DefaultClusterTopology;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;

/**
 * The cluster: one pool per node, the topology monitor that finds the primary and follows failovers, and the
 * maintenance operations. An application may define its own {@link ClusterTopology} bean, for example over
 * nodes it builds itself, and the provider takes that one.
 */
@Configuration(proxyBeanMethods = false)
class PostgresClusterConfiguration {

    static final String CLUSTER = "postgresCluster";

    /**
     * Builds and starts the cluster; its events become application events. Lazy, so an application that defines
     * a provider of its own and does not ask for the cluster opens no pool. The provider owns it and closes it
     * first, so closing it here again does nothing.
     * @param properties the properties
     * @param connectionDetails the servers and credentials
     * @param customizers callbacks on every pool's HikariCP configuration
     * @param environment gives {@code spring.application.name} and {@code spring.datasource.*}
     * @param events the application's event publisher
     * @return the started cluster
     */
    @Bean(name = CLUSTER, destroyMethod = "close")
    @ConditionalOnMissingBean
    @Lazy
    ClusterTopology postgresCluster(NexsPostgresProperties properties, PostgresConnectionDetails connectionDetails,
            ObjectProvider<NodePoolCustomizer> customizers, Environment environment,
            ApplicationEventPublisher events) {
        PostgresSettings.Cluster settings = PostgresSettings.cluster(properties, connectionDetails,
                SpringDataSourceProperties.of(environment), environment.getProperty("spring.application.name"));
        ClusterTopology topology = new DefaultClusterTopology(settings.nodes(), settings.topology(),
                customizers.orderedStream().toList());
        topology.addListener(events::publishEvent);
        topology.start();
        return topology;
    }

}
