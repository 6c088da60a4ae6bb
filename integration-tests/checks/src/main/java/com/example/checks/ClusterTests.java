package com.example.checks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import io.nexs.postgres.test.PostgresCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database of a test class: a PostgreSQL primary with one synchronous streaming standby that applies every
 * commit before the commit returns, so a read-only transaction routed to the standby sees what the test wrote just
 * before. It is started before the class and given to nexs-postgres as an application's configuration would give
 * it: one multi-host URL naming every node, primary first.
 *
 * <p>The context is closed after the class ({@code @DirtiesContext}) and the cluster after that: JUnit closes
 * {@code @AutoClose} fields after the Spring extension's own after-all work, whereas an {@code @AfterAll} method
 * would stop the cluster before that work, under a context whose pools still hold connections.
 */
@DirtiesContext
public abstract class ClusterTests {

    @AutoClose
    private static PostgresCluster cluster;

    @BeforeAll
    protected static void startCluster() {
        cluster = PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .setting("synchronous_commit", "remote_apply")
            .durable(false)
            .password(UUID.randomUUID().toString())
            .start();
    }

    @DynamicPropertySource
    static void connectNexsPostgres(DynamicPropertyRegistry registry) {
        connection().forEach((name, value) -> registry.add(name, () -> value));
    }

    /** The cluster of the running test class. */
    protected static PostgresCluster cluster() {
        return cluster;
    }

    /** Points nexs-postgres at every node with a multi-host URL, as an application's configuration would. */
    protected static Map<String, String> connection() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("nexs.postgres.url", cluster.jdbcUrl());
        properties.put("nexs.postgres.username", cluster.primary().username());
        properties.put("nexs.postgres.password", cluster.primary().password());
        return properties;
    }

    /** These properties as the command-line arguments of an application ({@code --name=value}). */
    protected static String[] commandLine(Map<String, String> properties) {
        return properties.entrySet()
            .stream()
            .map((property) -> "--" + property.getKey() + "=" + property.getValue())
            .toArray(String[]::new);
    }

    /**
     * The text of note {@code id} read on the primary over plain JDBC, past the application and its routing; empty
     * when the primary has no such row.
     */
    protected static Optional<String> textOnPrimary(long id) throws SQLException {
        try (Connection connection = cluster.primary().connect();
                PreparedStatement statement = connection.prepareStatement("select text from note where id = ?")) {
            statement.setLong(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
            }
        }
    }

    /**
     * Runs the application with these arguments, under which its sessions carry {@code applicationName}, lets
     * {@code work} use it, and checks that it has sessions on the cluster while it runs and none once it is closed.
     * A server ends a session shortly after its connection closes, not at once, so zero is awaited.
     */
    protected static void assertClosingEndsEverySession(SpringApplicationBuilder application, String applicationName,
            Consumer<ConfigurableApplicationContext> work, String... arguments) {
        try (ConfigurableApplicationContext running = application.run(arguments)) {
            work.accept(running);
            assertThat(cluster.sessions(applicationName)).isPositive();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(cluster.sessions(applicationName)).isZero());
    }

}
