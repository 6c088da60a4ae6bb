package io.nexs.postgres.autoconfigure;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * {@link PostgresConnectionDetails} read from {@code nexs.postgres.*}: {@code nodes}, {@code url} or {@code host},
 * with {@code username} and {@code password}. The nodes are checked when first asked for, with errors that name
 * the property to change.
 */
final class PropertiesPostgresConnectionDetails implements PostgresConnectionDetails {

    private final NexsPostgresProperties properties;

    /**
     * Creates the details.
     * @param properties the bound properties
     */
    PropertiesPostgresConnectionDetails(NexsPostgresProperties properties) {
        this.properties = properties;
    }

    @Override
    public List<Node> getNodes() {
        return PostgresServers.servers(this.properties)
            .stream()
            .map((server) -> new Node(server.jdbcUrl(), server.name(), server.weight(), server.tags()))
            .toList();
    }

    @Override
    public @Nullable String getUsername() {
        return this.properties.getUsername();
    }

    @Override
    public @Nullable String getPassword() {
        return this.properties.getPassword();
    }

}
