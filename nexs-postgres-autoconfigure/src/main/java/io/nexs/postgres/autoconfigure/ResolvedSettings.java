package io.nexs.postgres.autoconfigure;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Pool;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.topology.NodeAddress;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.util.StringUtils;

/**
 * The connection and pool settings that {@code nexs.postgres.*} (or a {@link JdbcConnectionDetails} bean)
 * describe, checked once with errors that name the property to change.
 *
 * @param connection how to reach the node
 * @param pool how to pool its connections
 */
record ResolvedSettings(ConnectionSettings connection, PoolSettings pool) {

    private static final String PREFIX = "nexs.postgres.";

    private static final String URL_PREFIX = "jdbc:postgresql:";

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&]*");

    private static final Pattern URL_USER_INFO = Pattern.compile("(//)[^/@]*@");

    private static final Duration MIN_TIMEOUT = Duration.ofMillis(250);

    private static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(10);

    private static final Duration MIN_LIFETIME = Duration.ofSeconds(30);

    private static final Duration MIN_LEAK_THRESHOLD = Duration.ofSeconds(2);

    private static final String DEFAULT_APPLICATION_NAME = "nexs-postgres";

    /**
     * Reads and checks the settings.
     * @param properties the bound properties
     * @param details connection details handed over by Testcontainers or Docker Compose; they take the place of
     * the URL, user name and password properties
     * @param springApplicationName the value of {@code spring.application.name}, if set
     * @return the settings
     * @throws InvalidPostgresPropertyException when a property holds a value that cannot work
     */
    static ResolvedSettings resolve(NexsPostgresProperties properties, @Nullable JdbcConnectionDetails details,
            @Nullable String springApplicationName) {
        return new ResolvedSettings(connection(properties, details, springApplicationName), pool(properties.getPool()));
    }

    private static ConnectionSettings connection(NexsPostgresProperties properties,
            @Nullable JdbcConnectionDetails details, @Nullable String springApplicationName) {
        String url;
        String username;
        String password;
        NodeAddress address;
        if (details != null) {
            url = details.getJdbcUrl();
            username = details.getUsername();
            password = details.getPassword();
            address = addressOfUrl(url, "the JdbcConnectionDetails bean (" + details.getClass().getName() + ")");
        }
        else {
            username = properties.getUsername();
            password = properties.getPassword();
            if (StringUtils.hasText(properties.getUrl())) {
                if (StringUtils.hasText(properties.getHost())) {
                    throw new InvalidPostgresPropertyException(PREFIX + "host", properties.getHost(),
                            "both nexs.postgres.url and nexs.postgres.host are set, so the server is ambiguous",
                            "Remove nexs.postgres.host (and port/database), or remove nexs.postgres.url.");
                }
                url = properties.getUrl().trim();
                address = addressOfUrl(url, PREFIX + "url");
            }
            else if (StringUtils.hasText(properties.getHost())) {
                address = addressOfHost(properties);
                url = URL_PREFIX + "//" + address + "/" + URLEncoder.encode(properties.getDatabase(),
                        StandardCharsets.UTF_8);
            }
            else if (properties.getHost() != null) {
                throw new InvalidPostgresPropertyException(PREFIX + "host", properties.getHost(),
                        "the host is blank", "Set nexs.postgres.host to the server's host name or address.");
            }
            else {
                throw new InvalidPostgresPropertyException(PREFIX + "url", null,
                        "no PostgreSQL server is configured",
                        "Set nexs.postgres.url (for example jdbc:postgresql://localhost:5432/postgres), or "
                                + "nexs.postgres.host with nexs.postgres.port and nexs.postgres.database. To run "
                                + "without nexs-postgres, set nexs.postgres.enabled=false.");
            }
        }
        return new ConnectionSettings(address, url, username, password,
                driverProperties(properties, springApplicationName));
    }

    private static NodeAddress addressOfUrl(String url, String source) {
        String shown = mask(url);
        if (!url.startsWith(URL_PREFIX)) {
            throw new InvalidPostgresPropertyException(source, shown, "it is not a PostgreSQL JDBC URL",
                    "Use a URL of the form jdbc:postgresql://host:5432/database.");
        }
        Properties parsed = Driver.parseURL(url, null);
        if (parsed == null) {
            throw new InvalidPostgresPropertyException(source, shown, "PgJDBC cannot parse this URL",
                    "Use a URL of the form jdbc:postgresql://host:5432/database?parameter=value, with a numeric "
                            + "port and parameters separated by '&'.");
        }
        String hosts = parsed.getProperty("PGHOST", "localhost");
        if (hosts.startsWith("[") && hosts.endsWith("]")) {
            // an IPv6 literal: NodeAddress adds the brackets back where a host:port form needs them
            hosts = hosts.substring(1, hosts.length() - 1);
        }
        String ports = parsed.getProperty("PGPORT", "5432");
        if (hosts.contains(",")) {
            throw new InvalidPostgresPropertyException(source, shown,
                    "the URL lists several hosts; nexs-postgres opens one pool per node and chooses between "
                            + "nodes itself",
                    "Give a single host in the URL.");
        }
        try {
            return new NodeAddress(hosts, Integer.parseInt(ports));
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidPostgresPropertyException(source, shown, "the URL's host or port is not usable: "
                    + ex.getMessage(), "Use a URL of the form jdbc:postgresql://host:5432/database.");
        }
    }

    private static NodeAddress addressOfHost(NexsPostgresProperties properties) {
        int port = properties.getPort();
        if (port < 1 || port > 65535) {
            throw new InvalidPostgresPropertyException(PREFIX + "port", String.valueOf(port),
                    "a TCP port lies between 1 and 65535",
                    "Set nexs.postgres.port to the server's port (PostgreSQL's default is 5432).");
        }
        if (!StringUtils.hasText(properties.getDatabase())) {
            throw new InvalidPostgresPropertyException(PREFIX + "database", properties.getDatabase(),
                    "the database name is blank", "Set nexs.postgres.database, or leave it out to use 'postgres'.");
        }
        return new NodeAddress(properties.getHost().trim(), port);
    }

    private static Map<String, String> driverProperties(NexsPostgresProperties properties,
            @Nullable String springApplicationName) {
        Map<String, String> driver = new LinkedHashMap<>();
        // PgJDBC's connectTimeout covers the TCP connect only; loginTimeout bounds TLS and authentication too.
        String connectTimeout = seconds(PREFIX + "connect-timeout", properties.getConnectTimeout());
        driver.put("connectTimeout", connectTimeout);
        driver.put("loginTimeout", connectTimeout);
        driver.put("socketTimeout", seconds(PREFIX + "socket-timeout", properties.getSocketTimeout()));
        String applicationName = StringUtils.hasText(properties.getApplicationName())
                ? properties.getApplicationName()
                : (StringUtils.hasText(springApplicationName) ? springApplicationName : DEFAULT_APPLICATION_NAME);
        driver.put("ApplicationName", applicationName);
        if (properties.getSslMode() != null) {
            driver.put("sslmode", properties.getSslMode().value());
        }
        putFile(driver, "sslrootcert", PREFIX + "ssl-root-cert", properties.getSslRootCert());
        putFile(driver, "sslcert", PREFIX + "ssl-cert", properties.getSslCert());
        putFile(driver, "sslkey", PREFIX + "ssl-key", properties.getSslKey());
        driver.put("reWriteBatchedInserts", String.valueOf(properties.getQuery().isRewriteBatchedInserts()));
        // The server's Detail line quotes key values ("Key (email)=(...) already exists"): data that must not
        // reach logs through exception messages. The SQLSTATE and constraint name stay.
        driver.put("logServerErrorDetail", "false");
        return driver;
    }

    private static void putFile(Map<String, String> driver, String key, String property, @Nullable Path file) {
        if (file == null) {
            return;
        }
        if (!Files.isReadable(file)) {
            throw new InvalidPostgresPropertyException(property, file.toString(), "the file does not exist or "
                    + "cannot be read", "Point " + property + " at a readable file, or remove it.");
        }
        driver.put(key, file.toAbsolutePath().toString());
    }

    /** PgJDBC takes whole seconds; a non-zero timeout below one second becomes one second. */
    private static String seconds(String property, Duration timeout) {
        requireNotNegative(property, timeout);
        long seconds = timeout.toSeconds();
        if (seconds == 0 && !timeout.isZero()) {
            seconds = 1;
        }
        return String.valueOf(seconds);
    }

    private static PoolSettings pool(Pool pool) {
        String prefix = PREFIX + "pool.";
        if (pool.getMaxSize() < 1) {
            throw new InvalidPostgresPropertyException(prefix + "max-size", String.valueOf(pool.getMaxSize()),
                    "a pool needs room for at least one connection",
                    "Set nexs.postgres.pool.max-size to 1 or more (the default is 10).");
        }
        int minIdle = (pool.getMinIdle() != null) ? pool.getMinIdle() : pool.getMaxSize();
        if (minIdle < 0) {
            throw new InvalidPostgresPropertyException(prefix + "min-idle", String.valueOf(minIdle),
                    "the number of idle connections cannot be negative",
                    "Set nexs.postgres.pool.min-idle to 0 or more, or leave it out to keep max-size connections.");
        }
        if (minIdle > pool.getMaxSize()) {
            throw new InvalidPostgresPropertyException(prefix + "min-idle", String.valueOf(minIdle),
                    "min-idle is above max-size (" + pool.getMaxSize() + ")",
                    "Lower nexs.postgres.pool.min-idle to at most " + pool.getMaxSize()
                            + ", or raise nexs.postgres.pool.max-size.");
        }
        requireAtLeast(prefix + "connection-timeout", pool.getConnectionTimeout(), MIN_TIMEOUT);
        requireAtLeast(prefix + "validation-timeout", pool.getValidationTimeout(), MIN_TIMEOUT);
        if (pool.getValidationTimeout().compareTo(pool.getConnectionTimeout()) >= 0) {
            throw new InvalidPostgresPropertyException(prefix + "validation-timeout",
                    pool.getValidationTimeout().toString(),
                    "a connection test must finish before a borrower gives up (connection-timeout is "
                            + pool.getConnectionTimeout() + ")",
                    "Set nexs.postgres.pool.validation-timeout below nexs.postgres.pool.connection-timeout.");
        }
        requireZeroOrAtLeast(prefix + "idle-timeout", pool.getIdleTimeout(), MIN_IDLE_TIMEOUT);
        requireZeroOrAtLeast(prefix + "max-lifetime", pool.getMaxLifetime(), MIN_LIFETIME);
        requireZeroOrAtLeast(prefix + "keepalive-time", pool.getKeepaliveTime(), MIN_LIFETIME);
        if (!pool.getKeepaliveTime().isZero() && !pool.getMaxLifetime().isZero()
                && pool.getKeepaliveTime().compareTo(pool.getMaxLifetime()) >= 0) {
            throw new InvalidPostgresPropertyException(prefix + "keepalive-time", pool.getKeepaliveTime().toString(),
                    "a keep-alive test is useless when connections are replaced sooner (max-lifetime is "
                            + pool.getMaxLifetime() + ")",
                    "Set nexs.postgres.pool.keepalive-time below nexs.postgres.pool.max-lifetime, or 0 to turn "
                            + "it off.");
        }
        requireZeroOrAtLeast(prefix + "leak-detection-threshold", pool.getLeakDetectionThreshold(),
                MIN_LEAK_THRESHOLD);
        requireNotNegative(prefix + "shutdown-timeout", pool.getShutdownTimeout());
        return new PoolSettings(minIdle, pool.getMaxSize(), pool.getConnectionTimeout(), pool.getIdleTimeout(),
                pool.getMaxLifetime(), pool.getKeepaliveTime(), pool.getValidationTimeout(),
                pool.getLeakDetectionThreshold(), pool.isWarmUp(), pool.isFailFast(), pool.getShutdownTimeout());
    }

    private static void requireNotNegative(String property, Duration value) {
        if (value.isNegative()) {
            throw new InvalidPostgresPropertyException(property, value.toString(), "a duration cannot be negative",
                    "Set " + property + " to zero or a positive duration such as 30s.");
        }
    }

    private static void requireAtLeast(String property, Duration value, Duration minimum) {
        if (value.compareTo(minimum) < 0) {
            throw new InvalidPostgresPropertyException(property, value.toString(),
                    "HikariCP needs at least " + minimum.toMillis() + "ms",
                    "Set " + property + " to " + minimum.toMillis() + "ms or more.");
        }
    }

    private static void requireZeroOrAtLeast(String property, Duration value, Duration minimum) {
        requireNotNegative(property, value);
        if (!value.isZero() && value.compareTo(minimum) < 0) {
            throw new InvalidPostgresPropertyException(property, value.toString(),
                    "HikariCP needs 0 (off) or at least " + minimum.toSeconds() + "s",
                    "Set " + property + " to 0 or to " + minimum.toSeconds() + "s or more.");
        }
    }

    /** Removes passwords from a URL so it can be shown. */
    static String mask(String url) {
        return URL_USER_INFO.matcher(URL_PASSWORD.matcher(url).replaceAll("$1******")).replaceAll("$1******@");
    }

}
