package io.nexs.postgres.pool;

import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How to open a connection to one node: its address, the PgJDBC URL and the driver properties that go with it.
 * The password never shows in {@link #toString()}.
 *
 * @param address the node's address
 * @param jdbcUrl the PgJDBC URL, {@code jdbc:postgresql://host:port/database}, possibly with parameters
 * @param username the user name, or {@code null} to let the driver decide
 * @param password the password, or {@code null} for none
 * @param driverProperties further PgJDBC connection properties (timeouts, SSL, application name)
 */
public record ConnectionSettings(NodeAddress address, String jdbcUrl, @Nullable String username,
        @Nullable String password, Map<String, String> driverProperties) {

    /**
     * Validates and copies the settings.
     * @param address the node's address
     * @param jdbcUrl the PgJDBC URL
     * @param username the user name, or {@code null}
     * @param password the password, or {@code null}
     * @param driverProperties further PgJDBC connection properties
     */
    public ConnectionSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        driverProperties = Map.copyOf(driverProperties);
    }

    @Override
    public String toString() {
        return "ConnectionSettings[address=" + this.address + ", username=" + this.username + ", password="
                + ((this.password != null) ? "******" : "null") + ", driverProperties=" + this.driverProperties
                + "]";
    }

}
