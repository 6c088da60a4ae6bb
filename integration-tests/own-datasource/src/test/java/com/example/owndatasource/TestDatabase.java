package com.example.owndatasource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The database of this application's tests: a PostgreSQL primary with one synchronous streaming standby, as in
 * the other shapes. The application's own data source knows only the primary; the standby is there to show that
 * nothing connects to it.
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

    /** Points the application's own data source at the primary. */
    static void register(DynamicPropertyRegistry registry, PostgresCluster cluster) {
        connection(cluster).forEach((name, value) -> registry.add(name, () -> value));
    }

    /** The same connection as command-line arguments, plus the name the application's sessions carry. */
    static String[] arguments(PostgresCluster cluster, String applicationName) {
        return Stream.concat(connection(cluster).entrySet().stream(),
                Map.of("app.datasource.data-source-properties[ApplicationName]", applicationName).entrySet().stream())
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
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("app.datasource.jdbc-url", cluster.primary().jdbcUrl());
        properties.put("app.datasource.username", cluster.primary().username());
        properties.put("app.datasource.password", cluster.primary().password());
        return properties;
    }

}
