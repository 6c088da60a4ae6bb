package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;

/**
 * Topologies over real clusters of the test kit, for tests that exercise routing and failover without the
 * auto-configuration. Settings are quick so failures are detected fast.
 */
public final class Topologies {

    private Topologies() {
    }

    /** Fast checks: every 200 ms with a 500 ms limit, two failures, writes waiting up to 10 s. */
    public static TopologySettings fast() {
        return new TopologySettings(ReadPreference.SECONDARY_PREFERRED, LoadBalancing.ROUND_ROBIN, null,
                Duration.ofMillis(15), true, Duration.ofMillis(200), Duration.ofMillis(500), 2,
                Duration.ofSeconds(10), Duration.ofMillis(25));
    }

    /** Small pools that do not wait long for a connection. */
    public static PoolSettings pool(int size) {
        return new PoolSettings(size, size, Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ofMinutes(30),
                Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO, true, true, Duration.ofSeconds(2));
    }

    /** A definition of a node reached at {@code host:port}, named after the node. */
    public static NodeDefinition definition(String name, String host, int port, int weight) {
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress(host, port),
                "jdbc:postgresql://" + host + ":" + port + "/postgres", "postgres", null,
                Map.of("connectTimeout", "2", "loginTimeout", "2", "ApplicationName", "nexs-postgres-tests"));
        return new NodeDefinition(name, connection, pool(3), weight, Set.of());
    }

    /** A definition of a node of the kit. */
    public static NodeDefinition definition(PostgresNode node) {
        return definition(node.name(), node.host(), node.port(), 1);
    }

    /** A definition of a node reached through a proxy. */
    public static NodeDefinition definition(PostgresNode node, TcpProxy proxy) {
        return definition(node.name(), proxy.host(), proxy.port(), 1);
    }

    /**
     * Points a standby at a newly promoted primary, as a cluster manager does after a failover: a slot of its own
     * there and a new {@code primary_conninfo}, which the server takes on reload.
     */
    public static void follow(PostgresNode standby, PostgresNode primary) throws SQLException {
        execute(primary, "select pg_create_physical_replication_slot('" + PostgresCluster.slotName(standby)
                + "', true)");
        execute(standby, "alter system set primary_conninfo = 'host=" + primary.host() + " port=" + primary.port()
                + " user=" + primary.username() + " application_name=" + standby.name() + "'");
        execute(standby, "select pg_reload_conf()");
    }

    private static void execute(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** A started topology over every node of the cluster, primary first. */
    public static ClusterTopology start(PostgresCluster cluster, TopologySettings settings) {
        return start(cluster, settings, UnaryOperator.identity());
    }

    /** A started topology over every node of the cluster, each definition adjusted first. */
    public static ClusterTopology start(PostgresCluster cluster, TopologySettings settings,
            UnaryOperator<NodeDefinition> adjust) {
        List<NodeDefinition> definitions = new ArrayList<>();
        for (PostgresNode node : cluster.nodes()) {
            definitions.add(adjust.apply(definition(node)));
        }
        return start(definitions, settings);
    }

    /** A started topology over the given nodes. */
    public static ClusterTopology start(List<NodeDefinition> definitions, TopologySettings settings) {
        ClusterTopology topology = new DefaultClusterTopology(definitions, settings, List.of());
        topology.start();
        return topology;
    }

}
