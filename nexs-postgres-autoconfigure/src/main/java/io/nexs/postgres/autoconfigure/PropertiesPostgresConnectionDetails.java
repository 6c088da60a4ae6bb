package io.nexs.postgres.autoconfigure;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * {@link PostgresConnectionDetails} read from {@code nexs.postgres.*}: {@code nodes}, {@code url} or {@code host},
 * with {@code username} and {@code password}; when those name no server, from {@code spring.datasource.url},
 * {@code username} and {@code password} (see {@link PostgresSettings#login}). The nodes are checked when first
 * asked for, with errors that name the property to change.
 */
final class PropertiesPostgresConnectionDetails implements PostgresConnectionDetails {

    private final NexsPostgresProperties properties;

    private final SpringDataSourceProperties springDataSource;

    /**
     * Creates the details from {@code nexs.postgres.*} alone.
     * @param properties the bound properties
     */
    PropertiesPostgresConnectionDetails(NexsPostgresProperties properties) {
        this(properties, SpringDataSourceProperties.NONE);
    }

    /**
     * Creates the details.
     * @param properties the bound properties
     * @param springDataSource what the application sets under {@code spring.datasource.*}
     */
    PropertiesPostgresConnectionDetails(NexsPostgresProperties properties,
            SpringDataSourceProperties springDataSource) {
        this.properties = properties;
        this.springDataSource = springDataSource;
    }

    @Override
    public List<Node> getNodes() {
        return login().servers()
            .stream()
            .map((server) -> new Node(server.jdbcUrl(), server.name(), server.weight(), server.tags()))
            .toList();
    }

    @Override
    public @Nullable String getUsername() {
        return login().username();
    }

    @Override
    public @Nullable String getPassword() {
        return login().password();
    }

    private PostgresSettings.Login login() {
        return PostgresSettings.login(this.properties, this, this.springDataSource);
    }

}
