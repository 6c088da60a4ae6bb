package io.nexs.postgres.pool;

import com.zaxxer.hikari.HikariConfig;

/**
 * Callback that adjusts a node's {@link HikariConfig} after nexs-postgres has applied its own settings and
 * before the pool starts. Declare one as a bean to reach HikariCP settings that have no property of their own.
 *
 * <pre>{@code
 * @Bean
 * NodePoolCustomizer readOnlyByDefault() {
 *     return (node, config) -> config.addDataSourceProperty("readOnlyMode", "transaction");
 * }
 * }</pre>
 */
@FunctionalInterface
public interface NodePoolCustomizer {

    /**
     * Adjusts the pool configuration of one node.
     * @param node the node's name, {@code host:port}
     * @param config the configuration to change
     */
    void customize(String node, HikariConfig config);

}
