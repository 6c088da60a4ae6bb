package io.nexs.postgres.autoconfigure;

import java.sql.SQLException;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.topology.FailoverInProgressException;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

/**
 * LISTEN/NOTIFY on the current primary.
 */
@Configuration(proxyBeanMethods = false)
class PostgresNotificationConfiguration {

    /**
     * LISTEN on a connection of its own to the primary; after a failover it reconnects to the new primary. Lazy:
     * the connection and the delivery thread exist only in applications that inject the container.
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
