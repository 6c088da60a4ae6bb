package io.nexs.postgres.autoconfigure;

import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;

/**
 * {@link PostgresConnectionDetails} over Spring Boot's {@link JdbcConnectionDetails}, which Testcontainers'
 * {@code @ServiceConnection} and Docker Compose provide: its URL gives the nodes (one per host of a multi-host
 * URL), its user name and password the credentials.
 */
final class JdbcPostgresConnectionDetails implements PostgresConnectionDetails {

    private final JdbcConnectionDetails jdbc;

    JdbcPostgresConnectionDetails(JdbcConnectionDetails jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public List<Node> getNodes() {
        return List.of(Node.of(this.jdbc.getJdbcUrl()));
    }

    @Override
    public @Nullable String getUsername() {
        return this.jdbc.getUsername();
    }

    @Override
    public @Nullable String getPassword() {
        return this.jdbc.getPassword();
    }

    /** Names the source in errors about its URL. */
    String source() {
        return "the JdbcConnectionDetails bean (" + this.jdbc.getClass().getName() + ")";
    }

}
