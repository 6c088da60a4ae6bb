package io.nexs.postgres.sample;

import java.util.List;
import java.util.UUID;

import io.nexs.postgres.autoconfigure.PostgresConnectionDetails;
import io.nexs.postgres.test.PostgresCluster;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The development default: when nexs-postgres is enabled and none of {@code nexs.postgres.url},
 * {@code nexs.postgres.host} and {@code nexs.postgres.nodes} is set, start a throwaway PostgreSQL primary with one
 * streaming replica and hand both to nexs-postgres as {@link PostgresConnectionDetails}, one node each, the same
 * way Testcontainers' {@code @ServiceConnection} hands over a database. Writes go to the primary, read-only
 * transactions to the replica. The replica is synchronous: a commit returns once the replica has it on disk, not
 * once it has applied it; a read right after a write still sees it, through read-your-writes
 * ({@code nexs.postgres.replicas.consistency} in {@code application.yml}). The servers and their data go away when
 * the application stops.
 *
 * <p>With Spring AOT ({@code -Dspring.aot.enabled=true}) the condition is evaluated when the build runs
 * {@code process-aot}, not when the application starts: a jar built with no connection set has these beans
 * whatever its start-up properties say. {@link #embeddedPostgres} then checks the condition again and refuses to
 * start an embedded server for an application that was told to use real ones, instead of silently ignoring
 * {@code nexs.postgres.url}.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedPostgresConfiguration.NoServerConfigured.class)
class EmbeddedPostgresConfiguration {

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);

    @Bean(destroyMethod = "close")
    PostgresCluster embeddedPostgres(Environment environment) {
        if (!NoServerConfigured.matches(environment)) {
            // Only an AOT-processed run gets here: without AOT the condition leaves this configuration out.
            throw new IllegalStateException("A nexs.postgres connection (url, host or nodes) is set, or "
                    + "nexs.postgres.enabled is false, but this application was AOT-processed without one, so its "
                    + "embedded PostgreSQL was chosen at build time. Start it without -Dspring.aot.enabled=true, "
                    + "or build it with the connection set for process-aot (for example "
                    + "-Dspring-boot.aot.jvmArguments=-Dnexs.postgres.url=jdbc:postgresql://db:5432/orders).");
        }
        // A password rather than trust authentication, so other local users cannot log in as the superuser.
        // The context closes the nodes after the pools have drained, instead of the kit's JVM shutdown hook,
        // which would run at the same time as the application's graceful shutdown.
        PostgresCluster cluster = PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .durable(false)
            .password(UUID.randomUUID().toString())
            .closeOnJvmExit(false)
            .start();
        logger.warn("No nexs.postgres.url, host or nodes is set: started an embedded PostgreSQL {} primary at {}:{} "
                + "with a streaming replica at {}:{} for development; their data is deleted when the application "
                + "stops. Set nexs.postgres.url or nexs.postgres.nodes to use real servers.",
                cluster.primary().version(), cluster.primary().host(), cluster.primary().port(),
                cluster.standbys().get(0).host(), cluster.standbys().get(0).port());
        return cluster;
    }

    @Bean
    PostgresConnectionDetails embeddedPostgresConnectionDetails(PostgresCluster embeddedPostgres) {
        return new PostgresConnectionDetails() {

            @Override
            public List<Node> getNodes() {
                return embeddedPostgres.nodes()
                    .stream()
                    .map((node) -> Node.of(node.jdbcUrl()))
                    .toList();
            }

            @Override
            public String getUsername() {
                return embeddedPostgres.primary().username();
            }

            @Override
            public @Nullable String getPassword() {
                return embeddedPostgres.primary().password();
            }

        };
    }

    static class NoServerConfigured implements Condition {

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return matches(context.getEnvironment());
        }

        static boolean matches(Environment environment) {
            return environment.getProperty("nexs.postgres.enabled", Boolean.class, true)
                    && !environment.containsProperty("nexs.postgres.url")
                    && !environment.containsProperty("nexs.postgres.host")
                    && !environment.containsProperty("nexs.postgres.nodes")
                    && !environment.containsProperty("nexs.postgres.nodes[0]")
                    && !environment.containsProperty("nexs.postgres.nodes[0].address");
        }

    }

}
