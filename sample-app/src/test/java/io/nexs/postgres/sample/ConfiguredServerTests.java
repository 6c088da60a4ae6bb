package io.nexs.postgres.sample;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code nexs.postgres.url} set, the sample uses that server and starts no embedded one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
class ConfiguredServerTests {

    private static final PostgresNode server = PostgresNode.start();

    @Autowired
    private ApplicationContext context;

    @Autowired
    private PostgresProvider provider;

    @Autowired
    private JdbcClient jdbc;

    @DynamicPropertySource
    static void useTheServer(DynamicPropertyRegistry registry) {
        registry.add("nexs.postgres.url", server::jdbcUrl);
        registry.add("nexs.postgres.username", server::username);
    }

    @AfterAll
    static void stopTheServer() {
        server.close();
    }

    @Test
    void usesTheConfiguredServerAndStartsNoEmbeddedOne() {
        assertThat(this.context.getBeansOfType(PostgresNode.class)).isEmpty();
        assertThat(this.provider.primary().name()).isEqualTo("127.0.0.1:" + server.port());
        assertThat(this.jdbc.sql("select count(*) from orders").query(Integer.class).single())
            .as("schema.sql created the orders table on the configured server")
            .isZero();
    }

}
