package com.example.observability;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The database of this application's tests: a PostgreSQL primary with one synchronous streaming standby that
 * applies every commit before the commit returns, so a read-only transaction routed to the standby sees what the
 * test wrote just before.
 */
final class TestDatabase {

    private TestDatabase() {
    }

    static PostgresCluster start() {
        return PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .setting("synchronous_commit", "remote_apply")
            .durable(false)
            .password(UUID.randomUUID().toString())
            .start();
    }

    /** Points nexs-postgres at both nodes with a multi-host URL, as an application's configuration would. */
    static void register(DynamicPropertyRegistry registry, PostgresCluster cluster) {
        connection(cluster).forEach((name, value) -> registry.add(name, () -> value));
    }

    /** The same connection as command-line arguments, plus the name the application's sessions carry. */
    static String[] arguments(PostgresCluster cluster, String applicationName) {
        return Stream.concat(connection(cluster).entrySet().stream(),
                Map.of("nexs.postgres.application-name", applicationName).entrySet().stream())
            .map((property) -> "--" + property.getKey() + "=" + property.getValue())
            .toArray(String[]::new);
    }

    /** Sessions named {@code applicationName} on all nodes of the cluster. */
    static long sessions(PostgresCluster cluster, String applicationName) throws SQLException {
        long sessions = 0;
        for (PostgresNode node : cluster.nodes()) {
            try (Connection connection = node.connect();
                    PreparedStatement statement = connection.prepareStatement(
                            "select count(*) from pg_stat_activity where application_name = ?")) {
                statement.setString(1, applicationName);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    sessions += rows.getLong(1);
                }
            }
        }
        return sessions;
    }

    private static Map<String, String> connection(PostgresCluster cluster) {
        String hosts = cluster.nodes()
            .stream()
            .map((node) -> node.host() + ":" + node.port())
            .collect(Collectors.joining(","));
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("nexs.postgres.url", "jdbc:postgresql://" + hosts + "/postgres");
        properties.put("nexs.postgres.username", cluster.primary().username());
        properties.put("nexs.postgres.password", cluster.primary().password());
        return properties;
    }

}
