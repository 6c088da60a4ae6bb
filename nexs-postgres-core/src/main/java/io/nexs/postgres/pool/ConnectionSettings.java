package io.nexs.postgres.pool;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

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
 * @param sessionSettings server settings every pooled session starts with, such as {@code statement_timeout}
 * ({@code 5000}, in the server's units): sent at login with PgJDBC's {@code options}, so they cost no round trip.
 * An {@code options} value of the application (driver property, URL parameter or pool customizer) is kept and
 * comes after them, so its {@code -c} settings win. Health checks go without them.
 */
public record ConnectionSettings(NodeAddress address, String jdbcUrl, @Nullable String username,
        @Nullable String password, Map<String, String> driverProperties, Map<String, String> sessionSettings) {

    /** The names of PostgreSQL's settings: letters, digits, underscores and the dot of custom settings. */
    private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.$]*");

    /**
     * Validates and copies the settings.
     * @param address the node's address
     * @param jdbcUrl the PgJDBC URL
     * @param username the user name, or {@code null}
     * @param password the password, or {@code null}
     * @param driverProperties further PgJDBC connection properties
     * @param sessionSettings server settings every pooled session starts with
     */
    public ConnectionSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        driverProperties = Map.copyOf(driverProperties);
        sessionSettings.forEach((name, value) -> {
            if (!SETTING_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + name + "' is not the name of a PostgreSQL setting");
            }
            Objects.requireNonNull(value, name);
        });
        sessionSettings = Collections.unmodifiableMap(new LinkedHashMap<>(sessionSettings));
    }

    /**
     * Settings whose sessions start with the server's own settings.
     * @param address the node's address
     * @param jdbcUrl the PgJDBC URL
     * @param username the user name, or {@code null}
     * @param password the password, or {@code null}
     * @param driverProperties further PgJDBC connection properties
     */
    public ConnectionSettings(NodeAddress address, String jdbcUrl, @Nullable String username,
            @Nullable String password, Map<String, String> driverProperties) {
        this(address, jdbcUrl, username, password, driverProperties, Map.of());
    }

    /**
     * A copy whose sessions start with these server settings.
     * @param sessionSettings setting names and values, for example {@code statement_timeout} and {@code 5000}
     * @return the copy
     */
    public ConnectionSettings withSessionSettings(Map<String, String> sessionSettings) {
        return new ConnectionSettings(this.address, this.jdbcUrl, this.username, this.password,
                this.driverProperties, sessionSettings);
    }

    @Override
    public String toString() {
        return "ConnectionSettings[address=" + this.address + ", username=" + this.username + ", password="
                + ((this.password != null) ? "******" : "null") + ", driverProperties=" + this.driverProperties
                + ", sessionSettings=" + this.sessionSettings + "]";
    }

}
