package io.nexs.postgres.autoconfigure;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Failover;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Node;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Pool;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.PoolOverrides;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Replicas;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.TopologySettings;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.util.StringUtils;

/**
 * The nodes and topology settings that {@code nexs.postgres.*} (or a {@link JdbcConnectionDetails} bean)
 * describe, checked once with errors that name the property to change.
 *
 * @param nodes the nodes of the cluster, at least one, in the order they were configured
 * @param topology how reads are routed and nodes are watched
 */
record ResolvedSettings(List<NodeDefinition> nodes, TopologySettings topology) {

    private static final String PREFIX = "nexs.postgres.";

    private static final String POOL_PREFIX = PREFIX + "pool.";

    private static final String NODES = PREFIX + "nodes";

    private static final String URL_PREFIX = "jdbc:postgresql:";

    private static final int DEFAULT_PORT = 5432;

    /**
     * PgJDBC parameters that make the driver choose among hosts by role or spread connections over them: each
     * node's pool must connect to its own node whatever its role.
     */
    private static final List<String> ROUTING_PARAMETERS = List.of("targetServerType", "loadBalanceHosts",
            "hostRecheckSeconds");

    /** Names the health component of the whole cluster; a node of that name would be hidden by it. */
    private static final String RESERVED_NODE_NAME = "cluster";

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&]*");

    private static final Pattern URL_USER_INFO = Pattern.compile("(//)[^/@]*@");

    private static final Pattern HOST_NAME = Pattern.compile("[\\p{L}\\p{N}._-]+");

    private static final Pattern IPV6_ADDRESS = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\\p{L}\\p{N}._-]+)?");

    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    private static final String ADDRESS_FORM = "Write the address as host:port, for example db1.example.com:5432, "
            + "or [::1]:5432 for an IPv6 address; without a port, 5432 is used.";

    private static final Duration MIN_TIMEOUT = Duration.ofMillis(250);

    private static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(10);

    private static final Duration MIN_LIFETIME = Duration.ofSeconds(30);

    private static final Duration MIN_LEAK_THRESHOLD = Duration.ofSeconds(2);

    private static final Duration MIN_CHECK_TIMEOUT = Duration.ofMillis(100);

    private static final String DEFAULT_APPLICATION_NAME = "nexs-postgres";

    /**
     * Copies the nodes.
     * @param nodes the nodes of the cluster
     * @param topology routing and monitoring settings
     */
    ResolvedSettings {
        nodes = List.copyOf(nodes);
        Objects.requireNonNull(topology, "topology");
    }

    /**
     * Reads and checks the settings.
     * @param properties the bound properties
     * @param details connection details handed over by Testcontainers or Docker Compose; they take the place of
     * the URL (or nodes), user name and password properties. A URL with several hosts gives several nodes.
     * @param springApplicationName the value of {@code spring.application.name}, if set
     * @return the settings
     * @throws InvalidPostgresPropertyException when a property holds a value that cannot work
     */
    static ResolvedSettings resolve(NexsPostgresProperties properties, @Nullable JdbcConnectionDetails details,
            @Nullable String springApplicationName) {
        List<Server> servers;
        String username;
        String password;
        if (details != null) {
            servers = serversOfUrl(details.getJdbcUrl(),
                    "the JdbcConnectionDetails bean (" + details.getClass().getName() + ")");
            username = details.getUsername();
            password = details.getPassword();
        }
        else {
            servers = servers(properties);
            username = properties.getUsername();
            password = properties.getPassword();
        }
        Map<String, String> driverProperties = driverProperties(properties, springApplicationName);
        Pool globalPool = properties.getPool();
        PoolSettings pool = pool(globalPool, null, POOL_PREFIX);
        List<NodeDefinition> nodes = new ArrayList<>(servers.size());
        for (Server server : servers) {
            ConnectionSettings connection = new ConnectionSettings(server.address(), server.jdbcUrl(), username,
                    password, driverProperties);
            PoolOverrides overrides = server.pool();
            PoolSettings nodePool = (overrides == null || overrides.isEmpty()) ? pool
                    : pool(globalPool, overrides, server.property() + ".pool.");
            nodes.add(new NodeDefinition(server.name(), connection, nodePool, server.weight(), server.tags()));
        }
        return new ResolvedSettings(nodes, topology(properties));
    }

    /** The servers of {@code nexs.postgres.nodes}, {@code url} or {@code host}. */
    private static List<Server> servers(NexsPostgresProperties properties) {
        List<Node> nodes = properties.getNodes();
        String url = properties.getUrl();
        String host = properties.getHost();
        if (nodes != null && !nodes.isEmpty()) {
            if (StringUtils.hasText(url)) {
                throw new InvalidPostgresPropertyException(PREFIX + "url", mask(url),
                        "both nexs.postgres.nodes and nexs.postgres.url are set, so the servers are ambiguous",
                        "Remove nexs.postgres.url (and give its database in nexs.postgres.database), or remove "
                                + "nexs.postgres.nodes.");
            }
            if (StringUtils.hasText(host)) {
                throw new InvalidPostgresPropertyException(PREFIX + "host", host,
                        "both nexs.postgres.nodes and nexs.postgres.host are set, so the servers are ambiguous",
                        "Remove nexs.postgres.host and nexs.postgres.port (each node's address has its port), or "
                                + "remove nexs.postgres.nodes.");
            }
            return serversOfNodes(nodes, database(properties));
        }
        if (StringUtils.hasText(url)) {
            if (StringUtils.hasText(host)) {
                throw new InvalidPostgresPropertyException(PREFIX + "host", host,
                        "both nexs.postgres.url and nexs.postgres.host are set, so the server is ambiguous",
                        "Remove nexs.postgres.host (and port/database), or remove nexs.postgres.url.");
            }
            return serversOfUrl(url.trim(), PREFIX + "url");
        }
        if (StringUtils.hasText(host)) {
            NodeAddress address = addressOfHost(properties);
            return List.of(Server.of(address, URL_PREFIX + "//" + address + "/" + database(properties),
                    PREFIX + "host"));
        }
        if (host != null) {
            throw new InvalidPostgresPropertyException(PREFIX + "host", host, "the host is blank",
                    "Set nexs.postgres.host to the server's host name or address.");
        }
        throw new InvalidPostgresPropertyException(PREFIX + "url", null, "no PostgreSQL server is configured",
                "Set nexs.postgres.url (for example jdbc:postgresql://localhost:5432/postgres), "
                        + "nexs.postgres.host with nexs.postgres.port and nexs.postgres.database, or "
                        + "nexs.postgres.nodes (for example db1:5432,db2:5432). To run without nexs-postgres, set "
                        + "nexs.postgres.enabled=false.");
    }

    /** One node per host of the URL; a URL with one host is used as it is. */
    private static List<Server> serversOfUrl(String url, String source) {
        String shown = mask(url);
        if (!url.startsWith(URL_PREFIX)) {
            throw new InvalidPostgresPropertyException(source, shown, "it is not a PostgreSQL JDBC URL",
                    "Use a URL of the form jdbc:postgresql://host:5432/database.");
        }
        Properties parsed = Driver.parseURL(url, null);
        if (parsed == null) {
            throw unparsable(source, shown);
        }
        for (String parameter : parsed.stringPropertyNames()) {
            for (String routing : ROUTING_PARAMETERS) {
                if (routing.equalsIgnoreCase(parameter)) {
                    throw new InvalidPostgresPropertyException(source, shown, "the URL sets PgJDBC's " + parameter
                            + ", but nexs-postgres opens a pool per node and routes statements by each node's "
                            + "role itself; with " + parameter + " PgJDBC would refuse or redirect connections "
                            + "to a node whose role does not match",
                            "Remove the " + parameter + " parameter from the URL. Choose the nodes that serve "
                                    + "reads with nexs.postgres.replicas.read-preference.");
                }
            }
        }
        String[] hosts = parsed.getProperty("PGHOST", "localhost").split(",", -1);
        String[] ports = parsed.getProperty("PGPORT", String.valueOf(DEFAULT_PORT)).split(",", -1);
        if (hosts.length != ports.length) {
            throw unparsable(source, shown);
        }
        List<NodeAddress> addresses = new ArrayList<>(hosts.length);
        for (int i = 0; i < hosts.length; i++) {
            NodeAddress address = addressOfUrl(hosts[i], ports[i], source, shown);
            if (addresses.stream().anyMatch((other) -> sameServer(address, other))) {
                throw new InvalidPostgresPropertyException(source, shown, "the URL lists " + address + " twice",
                        "List each server once in the URL.");
            }
            addresses.add(address);
        }
        if (addresses.size() == 1) {
            return List.of(Server.of(addresses.get(0), url, source));
        }
        // Several hosts are only possible in the //host form; everything from the slash after them on (database
        // and parameters) is shared by the nodes.
        int slash = url.indexOf('/', URL_PREFIX.length() + 2);
        if (!url.startsWith(URL_PREFIX + "//") || slash < 0) {
            throw unparsable(source, shown);
        }
        String path = url.substring(slash);
        return addresses.stream()
            .map((address) -> Server.of(address, URL_PREFIX + "//" + address + path, source))
            .toList();
    }

    private static InvalidPostgresPropertyException unparsable(String source, String shown) {
        return new InvalidPostgresPropertyException(source, shown, "PgJDBC cannot parse this URL",
                "Use a URL of the form jdbc:postgresql://host:5432/database?parameter=value, with a numeric "
                        + "port and parameters separated by '&'.");
    }

    private static NodeAddress addressOfUrl(String host, String port, String source, String shown) {
        if (host.startsWith("[") && host.endsWith("]")) {
            // an IPv6 literal: NodeAddress adds the brackets back where a host:port form needs them
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new NodeAddress(host, Integer.parseInt(port));
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
        return new NodeAddress(properties.getHost().trim(), port);
    }

    /** The database of host and nodes, encoded for the URL path. */
    private static String database(NexsPostgresProperties properties) {
        if (!StringUtils.hasText(properties.getDatabase())) {
            throw new InvalidPostgresPropertyException(PREFIX + "database", properties.getDatabase(),
                    "the database name is blank", "Set nexs.postgres.database, or leave it out to use 'postgres'.");
        }
        return URLEncoder.encode(properties.getDatabase(), StandardCharsets.UTF_8);
    }

    private static List<Server> serversOfNodes(List<Node> nodes, String database) {
        List<Server> servers = new ArrayList<>(nodes.size());
        Map<String, String> nameOwners = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            String property = NODES + "[" + i + "]";
            Node node = (nodes.get(i) != null) ? nodes.get(i) : new Node();
            NodeAddress address = addressOfNode(property + ".address", node.getAddress());
            for (Server other : servers) {
                if (sameServer(address, other.address())) {
                    throw new InvalidPostgresPropertyException(property + ".address", maskAddress(node.getAddress()),
                            "it is the same server as " + other.property() + " (" + other.address() + "); its "
                                    + "pool and checks would count it twice",
                            "List each server once in nexs.postgres.nodes.");
                }
            }
            String name = nameOfNode(property, node.getName(), address);
            String namedBy = (node.getName() != null) ? property + ".name" : property + ".address";
            String owner = nameOwners.putIfAbsent(name, property);
            if (owner != null) {
                throw new InvalidPostgresPropertyException(namedBy, name,
                        "the node name '" + name + "' is already the name of " + owner
                                + "; names tell nodes apart in logs, health and metrics",
                        "Give each node a name of its own with " + property + ".name.");
            }
            if (node.getWeight() < 1) {
                throw new InvalidPostgresPropertyException(property + ".weight", String.valueOf(node.getWeight()),
                        "a node's weight is its share of weighted reads, at least 1",
                        "Set " + property + ".weight to 1 or more, or leave it out for 1. To keep a node from "
                                + "serving reads, use nexs.postgres.replicas.read-preference.");
            }
            servers.add(new Server(name, address, URL_PREFIX + "//" + address + "/" + database, node.getWeight(),
                    tagsOfNode(property + ".tags", node.getTags()), node.getPool(), property));
        }
        return servers;
    }

    /** Parses {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}. */
    private static NodeAddress addressOfNode(String property, @Nullable String written) {
        if (!StringUtils.hasText(written)) {
            throw new InvalidPostgresPropertyException(property, written, "the node has no address", ADDRESS_FORM);
        }
        String text = written.trim();
        String shown = maskAddress(text);
        if (text.contains("@")) {
            throw new InvalidPostgresPropertyException(property, shown,
                    "the address holds a user name or password",
                    "Remove the credentials from the address and set nexs.postgres.username and "
                            + "nexs.postgres.password instead.");
        }
        String host;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "the IPv6 address has no closing bracket", ADDRESS_FORM);
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (rest.charAt(0) != ':') {
                    throw new InvalidPostgresPropertyException(property, shown,
                            "only ':' and a port may follow the bracketed IPv6 address", ADDRESS_FORM);
                }
                port = rest.substring(1);
            }
            if (!IPV6_ADDRESS.matcher(host).matches()) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "'" + host + "' in brackets is not an IPv6 address", ADDRESS_FORM);
            }
        }
        else {
            if (text.contains("/")) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "a node's address is host:port, not a URL; the database is nexs.postgres.database",
                        ADDRESS_FORM);
            }
            if (text.contains(",")) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "an address names a single node", "Give each node an entry of its own in "
                                + "nexs.postgres.nodes, for example nexs.postgres.nodes=db1:5432,db2:5432.");
            }
            int colon = text.indexOf(':');
            if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "the address has more than one ':'; an IPv6 address must be written in brackets",
                        ADDRESS_FORM);
            }
            host = (colon < 0) ? text : text.substring(0, colon);
            port = (colon < 0) ? null : text.substring(colon + 1);
            if (host.isEmpty()) {
                throw new InvalidPostgresPropertyException(property, shown, "the address has no host",
                        ADDRESS_FORM);
            }
            if (!HOST_NAME.matcher(host).matches()) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "'" + host + "' is not a host name or IP address", ADDRESS_FORM);
            }
        }
        int number = DEFAULT_PORT;
        if (port != null) {
            if (!PORT.matcher(port).matches()) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "the port '" + port + "' is not a number", ADDRESS_FORM);
            }
            number = Integer.parseInt(port);
            if (number < 1 || number > 65535) {
                throw new InvalidPostgresPropertyException(property, shown,
                        "a TCP port lies between 1 and 65535", ADDRESS_FORM);
            }
        }
        return new NodeAddress(host, number);
    }

    /** An address as it can be shown: no password parameter, nothing before an {@code @}. */
    private static @Nullable String maskAddress(@Nullable String address) {
        if (address == null) {
            return null;
        }
        String masked = mask(address);
        int at = masked.lastIndexOf('@');
        return (at < 0) ? masked : "******" + masked.substring(at);
    }

    private static String nameOfNode(String property, @Nullable String written, NodeAddress address) {
        if (written == null) {
            return address.toString();
        }
        String name = written.trim();
        String fix = "Set " + property + ".name to a name without '/', or leave it out to name the node after "
                + "its address.";
        if (name.isEmpty()) {
            throw new InvalidPostgresPropertyException(property + ".name", written, "the name is blank", fix);
        }
        if (name.contains("/")) {
            throw new InvalidPostgresPropertyException(property + ".name", written,
                    "a node's name is a path segment of its health component, so it cannot contain '/'", fix);
        }
        if (name.equals(RESERVED_NODE_NAME)) {
            throw new InvalidPostgresPropertyException(property + ".name", written,
                    "'cluster' names the health component that reports on the whole cluster", fix);
        }
        return name;
    }

    private static Set<String> tagsOfNode(String property, @Nullable Set<String> written) {
        Set<String> tags = new LinkedHashSet<>();
        if (written != null) {
            for (String tag : written) {
                if (!StringUtils.hasText(tag)) {
                    throw new InvalidPostgresPropertyException(property, String.valueOf(written),
                            "a tag is blank", "Remove the blank tag from " + property + ".");
                }
                tags.add(tag.trim());
            }
        }
        return tags;
    }

    /** Whether two addresses name the same server; host names are case-insensitive. */
    private static boolean sameServer(NodeAddress one, NodeAddress other) {
        return one.port() == other.port() && one.host().equalsIgnoreCase(other.host());
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

    /**
     * Checks a pool's settings: the global ones ({@code overrides} null), or a node's, each taken from its
     * overrides when set there and from {@code nexs.postgres.pool.*} otherwise. Errors name the property the
     * offending value came from.
     * @param global the global pool settings
     * @param overrides the node's overrides, or {@code null} for the global pool
     * @param overridePrefix the property prefix of the overrides, for example {@code nexs.postgres.nodes[1].pool.}
     */
    private static PoolSettings pool(Pool global, @Nullable PoolOverrides overrides, String overridePrefix) {
        Setting<Integer> maxSize = Setting.of("max-size", global.getMaxSize(),
                (overrides != null) ? overrides.getMaxSize() : null, overridePrefix);
        Setting<@Nullable Integer> minIdleSetting = Setting.of("min-idle", global.getMinIdle(),
                (overrides != null) ? overrides.getMinIdle() : null, overridePrefix);
        Setting<Duration> connectionTimeout = Setting.of("connection-timeout", global.getConnectionTimeout(),
                (overrides != null) ? overrides.getConnectionTimeout() : null, overridePrefix);
        Setting<Duration> idleTimeout = Setting.of("idle-timeout", global.getIdleTimeout(),
                (overrides != null) ? overrides.getIdleTimeout() : null, overridePrefix);
        Setting<Duration> maxLifetime = Setting.of("max-lifetime", global.getMaxLifetime(),
                (overrides != null) ? overrides.getMaxLifetime() : null, overridePrefix);
        Setting<Duration> keepaliveTime = Setting.of("keepalive-time", global.getKeepaliveTime(), null, "");
        Setting<Duration> validationTimeout = Setting.of("validation-timeout", global.getValidationTimeout(), null,
                "");

        if (maxSize.value() < 1) {
            throw new InvalidPostgresPropertyException(maxSize.property(), String.valueOf(maxSize.value()),
                    "a pool needs room for at least one connection", "Set " + maxSize.property() + " to 1 or more"
                            + (maxSize.overridden() ? ", or remove it to use " + POOL_PREFIX + "max-size."
                                    : " (the default is 10)."));
        }
        Integer writtenMinIdle = minIdleSetting.value();
        int minIdle = (writtenMinIdle != null) ? writtenMinIdle : maxSize.value();
        if (minIdle < 0) {
            throw new InvalidPostgresPropertyException(minIdleSetting.property(), String.valueOf(minIdle),
                    "the number of idle connections cannot be negative", "Set " + minIdleSetting.property()
                            + " to 0 or more, or leave it out to keep max-size connections.");
        }
        if (minIdle > maxSize.value()) {
            throw new InvalidPostgresPropertyException(minIdleSetting.property(), String.valueOf(minIdle),
                    "min-idle is above max-size (" + maxSize.value() + ")",
                    "Lower " + minIdleSetting.property() + " to at most " + maxSize.value() + ", or raise "
                            + maxSize.property() + ".");
        }
        requireAtLeast(connectionTimeout.property(), connectionTimeout.value(), MIN_TIMEOUT);
        requireAtLeast(validationTimeout.property(), validationTimeout.value(), MIN_TIMEOUT);
        if (validationTimeout.value().compareTo(connectionTimeout.value()) >= 0) {
            throw new InvalidPostgresPropertyException(validationTimeout.property(),
                    format(validationTimeout.value()),
                    "a connection test must finish before a borrower gives up (connection-timeout is "
                            + format(connectionTimeout.value()) + ")",
                    "Set " + validationTimeout.property() + " below " + connectionTimeout.property() + ".");
        }
        requireZeroOrAtLeast(idleTimeout.property(), idleTimeout.value(), MIN_IDLE_TIMEOUT);
        requireZeroOrAtLeast(maxLifetime.property(), maxLifetime.value(), MIN_LIFETIME);
        requireZeroOrAtLeast(keepaliveTime.property(), keepaliveTime.value(), MIN_LIFETIME);
        if (!keepaliveTime.value().isZero() && !maxLifetime.value().isZero()
                && keepaliveTime.value().compareTo(maxLifetime.value()) >= 0) {
            throw new InvalidPostgresPropertyException(keepaliveTime.property(), format(keepaliveTime.value()),
                    "a keep-alive test is useless when connections are replaced sooner (max-lifetime is "
                            + format(maxLifetime.value()) + ")",
                    "Set " + keepaliveTime.property() + " below " + maxLifetime.property() + ", or 0 to turn "
                            + "it off.");
        }
        requireZeroOrAtLeast(POOL_PREFIX + "leak-detection-threshold", global.getLeakDetectionThreshold(),
                MIN_LEAK_THRESHOLD);
        requireNotNegative(POOL_PREFIX + "shutdown-timeout", global.getShutdownTimeout());
        return new PoolSettings(minIdle, maxSize.value(), connectionTimeout.value(), idleTimeout.value(),
                maxLifetime.value(), keepaliveTime.value(), validationTimeout.value(),
                global.getLeakDetectionThreshold(), global.isWarmUp(), global.isFailFast(),
                global.getShutdownTimeout());
    }

    private static TopologySettings topology(NexsPostgresProperties properties) {
        Replicas replicas = properties.getReplicas();
        Failover failover = properties.getFailover();
        String replicasPrefix = PREFIX + "replicas.";
        String failoverPrefix = PREFIX + "failover.";
        requireSet(replicasPrefix + "read-preference", replicas.getReadPreference(),
                "primary, secondary, secondary-preferred or nearest");
        requireSet(replicasPrefix + "load-balancing", replicas.getLoadBalancing(),
                "round-robin, random, weighted or latency");
        Duration maxLag = replicas.getMaxLag();
        if (maxLag != null && maxLag.isNegative()) {
            throw new InvalidPostgresPropertyException(replicasPrefix + "max-lag", format(maxLag),
                    "a replication lag cannot be negative", "Set " + replicasPrefix + "max-lag to zero or a "
                            + "positive duration such as 5s, or leave it out for no limit.");
        }
        requireNotNegative(replicasPrefix + "latency-window", replicas.getLatencyWindow());

        String interval = failoverPrefix + "health-check-interval";
        requirePositive(interval, failover.getHealthCheckInterval(), "1s");
        String timeout = failoverPrefix + "health-check-timeout";
        requirePositive(timeout, failover.getHealthCheckTimeout(), "1s");
        if (failover.getHealthCheckTimeout().compareTo(MIN_CHECK_TIMEOUT) < 0) {
            throw new InvalidPostgresPropertyException(timeout, format(failover.getHealthCheckTimeout()),
                    "a check must connect and run a query, which takes more than "
                            + format(failover.getHealthCheckTimeout()) + " on most networks",
                    "Set " + timeout + " to " + format(MIN_CHECK_TIMEOUT) + " or more (the default is 1s).");
        }
        if (failover.getFailureThreshold() < 1) {
            throw new InvalidPostgresPropertyException(failoverPrefix + "failure-threshold",
                    String.valueOf(failover.getFailureThreshold()),
                    "it takes at least one failed check to find a node unhealthy",
                    "Set " + failoverPrefix + "failure-threshold to 1 or more (the default is 2).");
        }
        requireNotNegative(failoverPrefix + "write-wait-timeout", failover.getWriteWaitTimeout());
        String probe = failoverPrefix + "probe-interval";
        requirePositive(probe, failover.getProbeInterval(), "25ms");
        if (failover.getProbeInterval().compareTo(failover.getHealthCheckInterval()) > 0) {
            throw new InvalidPostgresPropertyException(probe, format(failover.getProbeInterval()),
                    "nodes would be checked less often while writes wait for a primary than when all is well "
                            + "(health-check-interval is " + format(failover.getHealthCheckInterval()) + ")",
                    "Set " + probe + " to at most " + interval + ", or raise " + interval + ".");
        }
        return new TopologySettings(replicas.getReadPreference(), replicas.getLoadBalancing(), maxLag,
                replicas.getLatencyWindow(), failover.isEnabled(), failover.getHealthCheckInterval(),
                failover.getHealthCheckTimeout(), failover.getFailureThreshold(), failover.getWriteWaitTimeout(),
                failover.getProbeInterval());
    }

    private static void requireSet(String property, @Nullable Object value, String choices) {
        if (value == null) {
            throw new InvalidPostgresPropertyException(property, null, "no value is set",
                    "Set " + property + " to " + choices + ", or leave it out to use the default.");
        }
    }

    private static void requireSet(String property, @Nullable Duration value) {
        if (value == null) {
            throw new InvalidPostgresPropertyException(property, null, "no duration is set",
                    "Set " + property + " to a duration such as 30s, or leave it out to use the default.");
        }
    }

    private static void requirePositive(String property, @Nullable Duration value, String defaultValue) {
        requireSet(property, value);
        if (value.isNegative() || value.isZero()) {
            throw new InvalidPostgresPropertyException(property, format(value), "the duration must be positive",
                    "Set " + property + " to a positive duration (the default is " + defaultValue + ").");
        }
    }

    private static void requireNotNegative(String property, @Nullable Duration value) {
        requireSet(property, value);
        if (value.isNegative()) {
            throw new InvalidPostgresPropertyException(property, format(value), "a duration cannot be negative",
                    "Set " + property + " to zero or a positive duration such as 30s.");
        }
    }

    private static void requireAtLeast(String property, @Nullable Duration value, Duration minimum) {
        requireSet(property, value);
        if (value.compareTo(minimum) < 0) {
            throw new InvalidPostgresPropertyException(property, format(value),
                    "HikariCP needs at least " + minimum.toMillis() + "ms",
                    "Set " + property + " to " + minimum.toMillis() + "ms or more.");
        }
    }

    private static void requireZeroOrAtLeast(String property, @Nullable Duration value, Duration minimum) {
        requireNotNegative(property, value);
        if (!value.isZero() && value.compareTo(minimum) < 0) {
            throw new InvalidPostgresPropertyException(property, format(value),
                    "HikariCP needs 0 (off) or at least " + minimum.toSeconds() + "s",
                    "Set " + property + " to 0 or to " + minimum.toSeconds() + "s or more.");
        }
    }

    /** A duration as it would be written in a property: {@code 250ms}, {@code 30s}, {@code 10m}. */
    static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        if (duration.getNano() % 1_000_000 != 0) {
            return duration.toString();
        }
        long millis = duration.toMillis();
        long[] sizes = { 86_400_000, 3_600_000, 60_000, 1000 };
        String[] units = { "d", "h", "m", "s" };
        for (int i = 0; i < sizes.length; i++) {
            if (millis % sizes[i] == 0) {
                return (millis / sizes[i]) + units[i];
            }
        }
        return millis + "ms";
    }

    /** Removes passwords from a URL so it can be shown. */
    static String mask(String url) {
        return URL_USER_INFO.matcher(URL_PASSWORD.matcher(url).replaceAll("$1******")).replaceAll("$1******@");
    }

    /**
     * A server to open a pool to, before the shared settings are added.
     *
     * @param name the node's name
     * @param address its address
     * @param jdbcUrl its single-host URL
     * @param weight its share of weighted reads
     * @param tags its labels
     * @param pool its pool overrides, or {@code null}
     * @param property the property that describes it, for example {@code nexs.postgres.nodes[1]} or
     * {@code nexs.postgres.url}
     */
    private record Server(String name, NodeAddress address, String jdbcUrl, int weight, Set<String> tags,
            @Nullable PoolOverrides pool, String property) {

        static Server of(NodeAddress address, String jdbcUrl, String property) {
            return new Server(address.toString(), address, jdbcUrl, 1, Set.of(), null, property);
        }

    }

    /**
     * A pool setting and the property it was read from.
     *
     * @param <T> the type of the value
     * @param property the full property name
     * @param value the value
     * @param overridden whether a node's override set it
     */
    private record Setting<T>(String property, T value, boolean overridden) {

        static <T> Setting<T> of(String key, T global, @Nullable T override, String overridePrefix) {
            return (override != null) ? new Setting<>(overridePrefix + key, override, true)
                    : new Setting<>(POOL_PREFIX + key, global, false);
        }

    }

}
