package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.AbstractDataSource;

/**
 * A {@link javax.sql.DataSource} whose connections come from the node a {@link ClusterTopology} chooses: the
 * writable primary, or a reader under a {@link ReadPreference}. Each call routes anew; a connection stays on its
 * node until it is closed.
 */
public final class RoutingDataSource extends AbstractDataSource {

    private static final ThreadLocal<@Nullable ReadPreference> OVERRIDE = new ThreadLocal<>();

    private final ClusterTopology topology;

    private final @Nullable ReadPreference preference;

    private RoutingDataSource(ClusterTopology topology, @Nullable ReadPreference preference) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.preference = preference;
    }

    /**
     * Connections to the writable primary.
     * @param topology the topology
     * @return the data source
     */
    public static RoutingDataSource primary(ClusterTopology topology) {
        return new RoutingDataSource(topology, null);
    }

    /**
     * Connections for reading, marked read-only. The preference can be overridden for the current thread with
     * {@link #withReadPreference(ReadPreference, Supplier)}.
     * @param topology the topology
     * @param preference which nodes may serve the reads
     * @return the data source
     */
    public static RoutingDataSource reads(ClusterTopology topology, ReadPreference preference) {
        return new RoutingDataSource(topology, Objects.requireNonNull(preference, "preference"));
    }

    /**
     * Runs work with another read preference for the read data sources used on this thread, such as the
     * read-only transactions the work begins.
     * @param <T> the result type
     * @param preference the preference
     * @param work the work
     * @return the work's result
     */
    public static <T> T withReadPreference(ReadPreference preference, Supplier<T> work) {
        ReadPreference previous = OVERRIDE.get();
        OVERRIDE.set(preference);
        try {
            return work.get();
        }
        finally {
            if (previous != null) {
                OVERRIDE.set(previous);
            }
            else {
                OVERRIDE.remove();
            }
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (this.preference == null) {
            return this.topology.primaryConnection();
        }
        ReadPreference override = OVERRIDE.get();
        return this.topology.readConnection((override != null) ? override : this.preference);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("The nodes' pools take their credentials from the configuration");
    }

    /**
     * The topology connections come from.
     * @return the topology
     */
    public ClusterTopology getTopology() {
        return this.topology;
    }

    @Override
    public String toString() {
        return "RoutingDataSource[" + ((this.preference != null) ? "reads, " + this.preference : "primary") + "]";
    }

}
