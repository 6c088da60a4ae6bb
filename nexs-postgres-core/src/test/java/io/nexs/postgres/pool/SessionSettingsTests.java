package io.nexs.postgres.pool;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Session settings reach the server at login, next to the application's own {@code options}, and stay off the
 * health checks' connections.
 */
@ExtendWith(PostgresExtension.class)
class SessionSettingsTests {

    private static PostgresNode node;

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void pooledAndOwnConnectionsStartWithTheSettingsAndHealthChecksWithout() throws SQLException {
        ConnectionSettings connection = connection(node.jdbcUrl(), Map.of())
            .withSessionSettings(Map.of("statement_timeout", "250", "lock_timeout", "100"));
        try (NodePool pool = new NodePool(connection, settings(), List.of())) {
            try (Connection pooled = pool.dataSource().getConnection()) {
                assertThat(show(pooled, "statement_timeout")).isEqualTo("250ms");
                assertThat(show(pooled, "lock_timeout")).isEqualTo("100ms");
            }
            try (Connection own = pool.openConnection()) {
                assertThat(show(own, "statement_timeout")).isEqualTo("250ms");
            }
            try (Connection check = pool.openConnection(Duration.ofSeconds(1))) {
                assertThat(show(check, "statement_timeout")).isEqualTo("0");
            }
        }
    }

    @Test
    void theApplicationsOptionsAreMergedAndWinForTheSameSetting() throws SQLException {
        String url = node.jdbcUrl() + "?options=-c%20search_path%3Dpg_catalog";
        ConnectionSettings connection = connection(url, Map.of("options", "-c work_mem=5MB"))
            .withSessionSettings(Map.of("statement_timeout", "250", "lock_timeout", "100"));
        NodePoolCustomizer customizer = (name, config) -> config.addDataSourceProperty("options",
                "-c lock_timeout=7s");
        try (NodePool pool = new NodePool(connection, settings(), List.of(customizer))) {
            try (Connection pooled = pool.dataSource().getConnection()) {
                assertThat(show(pooled, "statement_timeout")).isEqualTo("250ms");
                assertThat(show(pooled, "work_mem")).isEqualTo("5MB");
                assertThat(show(pooled, "search_path")).isEqualTo("pg_catalog");
                assertThat(show(pooled, "lock_timeout")).isEqualTo("7s");
            }
            try (Connection check = pool.openConnection(Duration.ofSeconds(1))) {
                assertThat(show(check, "statement_timeout")).isEqualTo("0");
                assertThat(show(check, "search_path")).isEqualTo("pg_catalog");
            }
        }
    }

    @Test
    void aValueWithSpacesReachesTheServerWhole() throws SQLException {
        ConnectionSettings connection = connection(node.jdbcUrl(), Map.of())
            .withSessionSettings(Map.of("search_path", "pg_catalog, public"));
        try (NodePool pool = new NodePool(connection, settings(), List.of());
                Connection pooled = pool.dataSource().getConnection()) {
            assertThat(show(pooled, "search_path")).isEqualTo("pg_catalog, public");
        }
    }

    @Test
    void onlyTheOptionsParameterLeavesTheUrl() {
        assertThat(NodePool.withoutParameter("jdbc:postgresql://db/app?options=-c%20x%3D1&sslmode=disable",
                "options")).isEqualTo("jdbc:postgresql://db/app?sslmode=disable");
        assertThat(NodePool.withoutParameter("jdbc:postgresql://db/app?a=1&options=x", "options"))
            .isEqualTo("jdbc:postgresql://db/app?a=1");
        assertThat(NodePool.withoutParameter("jdbc:postgresql://db/app?options=x", "options"))
            .isEqualTo("jdbc:postgresql://db/app");
    }

    @Test
    void aSettingNameMustBeOne() {
        assertThatIllegalArgumentException().isThrownBy(() -> connection(node.jdbcUrl(), Map.of())
            .withSessionSettings(Map.of("statement_timeout=0 -c role", "x")));
    }

    private static ConnectionSettings connection(String url, Map<String, String> driverProperties) {
        return new ConnectionSettings(new NodeAddress(node.host(), node.port()), url, node.username(),
                node.password(), driverProperties);
    }

    private static PoolSettings settings() {
        return new PoolSettings(1, 1, Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ofMinutes(30),
                Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO, false, false, Duration.ZERO);
    }

    private static String show(Connection connection, String setting) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("show " + setting)) {
            result.next();
            return result.getString(1);
        }
    }

}
