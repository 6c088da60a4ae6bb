package io.nexs.postgres.autoconfigure;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Node;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.PoolOverrides;
import io.nexs.postgres.pool.NodeAddress;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;

import org.springframework.util.StringUtils;

/**
 * The first part of the settings step ({@link PostgresSettings}): the servers that the
 * {@link PostgresConnectionDetails} or {@code nexs.postgres.nodes}, {@code url} and {@code host} describe, each
 * with its address, single-host URL and name, checked with errors that name the property (or the bean) to change.
 * Kept apart because address and URL parsing is most of the checking, and nothing else needs it.
 */
final class PostgresServers {

    private static final String PREFIX = "nexs.postgres.";

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

    private PostgresServers() {
    }

    /** The servers of connection details from another source than the properties. */
    static List<Server> serversOfDetails(PostgresConnectionDetails details) {
        String source = (details instanceof JdbcPostgresConnectionDetails jdbc) ? jdbc.source()
                : "the PostgresConnectionDetails bean (" + details.getClass().getName() + ")";
        List<PostgresConnectionDetails.Node> nodes = details.getNodes();
        if (nodes == null || nodes.isEmpty()) {
            throw new InvalidPostgresPropertyException(source, null, "it describes no node",
                    "Return at least one node from getNodes(), or remove the bean to use nexs.postgres.url.");
        }
        List<Server> servers = new ArrayList<>();
        for (PostgresConnectionDetails.Node node : nodes) {
            List<Server> ofUrl = serversOfUrl(node.jdbcUrl(), source);
            if (ofUrl.size() == 1) {
                Server server = ofUrl.get(0);
                String name = (node.name() != null) ? nameOfDetailsNode(source, node.name()) : server.name();
                ofUrl = List.of(new Server(name, server.address(), server.jdbcUrl(), node.weight(), node.tags(), null,
                        source));
            }
            for (Server server : ofUrl) {
                for (Server other : servers) {
                    if (sameServer(server.address(), other.address()) || server.name().equals(other.name())) {
                        throw new InvalidPostgresPropertyException(source, server.name(),
                                "it describes " + server.address() + " (" + server.name() + ") twice",
                                "Describe each server once, each with a name of its own.");
                    }
                }
                servers.add(server);
            }
        }
        return servers;
    }

    /** The same rules as for {@code nexs.postgres.nodes[i].name}. */
    private static String nameOfDetailsNode(String source, String written) {
        String name = written.trim();
        String fix = "Give the node a name without '/' other than 'cluster', or none to name it after its address.";
        if (name.isEmpty()) {
            throw new InvalidPostgresPropertyException(source, written, "a node's name is blank", fix);
        }
        if (name.contains("/")) {
            throw new InvalidPostgresPropertyException(source, written,
                    "a node's name is a path segment of its health component, so it cannot contain '/'", fix);
        }
        if (name.equals(RESERVED_NODE_NAME)) {
            throw new InvalidPostgresPropertyException(source, written,
                    "'cluster' names the health component that reports on the whole cluster", fix);
        }
        return name;
    }

    /** The servers of {@code nexs.postgres.nodes}, {@code url} or {@code host}. */
    static List<Server> servers(NexsPostgresProperties properties) {
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
    static List<Server> serversOfUrl(String url, String source) {
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
    record Server(String name, NodeAddress address, String jdbcUrl, int weight, Set<String> tags,
            @Nullable PoolOverrides pool, String property) {

        static Server of(NodeAddress address, String jdbcUrl, String property) {
            return new Server(address.toString(), address, jdbcUrl, 1, Set.of(), null, property);
        }

    }

}
