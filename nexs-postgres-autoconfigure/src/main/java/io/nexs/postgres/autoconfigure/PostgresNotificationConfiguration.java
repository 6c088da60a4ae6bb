package io.nexs.postgres.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.notify.ConnectionSource;
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
        NotificationListenerContainer container = new NotificationListenerContainer(new PrimarySource(provider));
        container.start();
        return container;
    }

    /** Opens LISTEN connections on the current primary, and tells its node when one of them is lost. */
    private record PrimarySource(PostgresProvider provider) implements ConnectionSource {

        @Override
        public Connection open() throws SQLException {
            try {
                return this.provider.primary().openConnection();
            }
            catch (FailoverInProgressException ex) {
                // no primary right now: the container retries with back-off, as after any failed connect
                throw new SQLException(ex.getMessage(), "08001", ex);
            }
        }

        @Override
        public void failed(Connection connection, SQLException failure) {
            this.provider.topology().nodeOf(connection).ifPresent((node) -> node.pool().reportFailure(failure));
        }

    }

}
