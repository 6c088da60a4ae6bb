package io.nexs.postgres.sample;

import java.util.UUID;

import io.nexs.postgres.test.PostgresNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The development default: when nexs-postgres is enabled and neither {@code nexs.postgres.url} nor
 * {@code nexs.postgres.host} is set, start
 * a throwaway PostgreSQL server and hand it to nexs-postgres as {@link JdbcConnectionDetails}, the same way
 * Testcontainers' {@code @ServiceConnection} hands over a database. The server and its data go away when the
 * application stops.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedPostgresConfiguration.NoServerConfigured.class)
class EmbeddedPostgresConfiguration {

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);

    @Bean(destroyMethod = "close")
    PostgresNode embeddedPostgres() {
        // A password rather than trust authentication, so other local users cannot log in as the superuser.
        // The context closes the node after the pool has drained, instead of the kit's JVM shutdown hook,
        // which would run at the same time as the application's graceful shutdown.
        PostgresNode node = PostgresNode.builder()
            .password(UUID.randomUUID().toString())
            .closeOnJvmExit(false)
            .start();
        logger.warn("No nexs.postgres.url or nexs.postgres.host is set: started an embedded PostgreSQL {} at {}:{} "
                + "for development; its data is deleted when the application stops. Set nexs.postgres.url to use "
                + "a real server.", node.version(), node.host(), node.port());
        return node;
    }

    @Bean
    JdbcConnectionDetails embeddedPostgresConnectionDetails(PostgresNode embeddedPostgres) {
        return new JdbcConnectionDetails() {

            @Override
            public String getUsername() {
                return embeddedPostgres.username();
            }

            @Override
            public String getPassword() {
                return embeddedPostgres.password();
            }

            @Override
            public String getJdbcUrl() {
                return embeddedPostgres.jdbcUrl();
            }

        };
    }

    static class NoServerConfigured implements Condition {

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            Environment environment = context.getEnvironment();
            return environment.getProperty("nexs.postgres.enabled", Boolean.class, true)
                    && !environment.containsProperty("nexs.postgres.url")
                    && !environment.containsProperty("nexs.postgres.host");
        }

    }

}
