package io.nexs.postgres.autoconfigure;

import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;

/**
 * The PostgreSQL servers nexs-postgres opens a pool to, and the credentials it logs in with. By default they come
 * from {@code nexs.postgres.*}, or from Spring Boot's {@code JdbcConnectionDetails} when Testcontainers or Docker
 * Compose hand one over. An application that starts its servers itself defines a bean of this type instead:
 *
 * <pre class="code">
 * &#64;Bean
 * PostgresConnectionDetails postgresConnectionDetails(MyCluster cluster) {
 *     return () -&gt; List.of(PostgresConnectionDetails.Node.of(cluster.primaryUrl()),
 *             PostgresConnectionDetails.Node.of(cluster.replicaUrl()));
 * }
 * </pre>
 *
 * Whatever the source, the nodes are checked in the same way as the properties, and the pool, routing and
 * failover settings still come from {@code nexs.postgres.*}.
 */
public interface PostgresConnectionDetails extends ConnectionDetails {

    /**
     * The nodes of the cluster, in any order: nexs-postgres finds the primary itself.
     * @return at least one node
     */
    List<Node> getNodes();

    /**
     * The user every node's pool logs in as.
     * @return the user name, or {@code null} for the driver's default
     */
    default @Nullable String getUsername() {
        return null;
    }

    /**
     * The password of {@link #getUsername()}.
     * @return the password, or {@code null} when the server asks for none
     */
    default @Nullable String getPassword() {
        return null;
    }

    /**
     * One server of the cluster.
     *
     * @param jdbcUrl a PostgreSQL JDBC URL; a URL with several hosts stands for one node per host, each named
     * after its address
     * @param name the name shown in logs, health and metrics, or {@code null} to name the node after its address
     * @param weight the node's share of weighted reads, at least 1
     * @param tags labels of the node
     */
    record Node(String jdbcUrl, @Nullable String name, int weight, Set<String> tags) {

        /**
         * Checks the values a program gives; the URL is checked with the rest of the settings.
         * @param jdbcUrl the URL
         * @param name the name, or {@code null}
         * @param weight the weight
         * @param tags the tags
         */
        public Node {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (weight < 1) {
                throw new IllegalArgumentException("A node's weight is at least 1, not " + weight);
            }
            tags = Set.copyOf(tags);
        }

        /**
         * A node named after its address, with weight 1 and no tags.
         * @param jdbcUrl the URL
         * @return the node
         */
        public static Node of(String jdbcUrl) {
            return new Node(jdbcUrl, null, 1, Set.of());
        }

        /**
         * A node with a name of its own, with weight 1 and no tags.
         * @param name the name
         * @param jdbcUrl the URL
         * @return the node
         */
        public static Node named(String name, String jdbcUrl) {
            return new Node(jdbcUrl, name, 1, Set.of());
        }

    }

}
