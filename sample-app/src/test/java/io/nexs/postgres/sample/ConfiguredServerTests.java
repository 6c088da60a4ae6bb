package io.nexs.postgres.sample;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code nexs.postgres.url} set, the sample uses that server and starts no embedded one. The application
 * is started by hand so that it stops, and its pool drains, while the server is still up.
 */
@ExtendWith(PostgresExtension.class)
class ConfiguredServerTests {

    @Test
    void usesTheConfiguredServerAndStartsNoEmbeddedOne(PostgresNode server) {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
            .web(WebApplicationType.NONE)
            .run("--nexs.postgres.url=" + server.jdbcUrl(), "--nexs.postgres.username=" + server.username())) {
            assertThat(context.getBeansOfType(PostgresCluster.class)).isEmpty();
            assertThat(context.getBean(PostgresProvider.class).primary().name())
                .isEqualTo("127.0.0.1:" + server.port());
            assertThat(context.getBean(JdbcClient.class).sql("select count(*) from orders").query(Integer.class).single())
                .as("schema.sql created the orders table on the configured server")
                .isZero();
        }
    }

}
