package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ConsistencyToken;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.error.SqlStates;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.AbstractDataSource;

/**
 * A {@link javax.sql.DataSource} whose connections come from the node a {@link ClusterTopology} chooses: the
 * writable primary, or a reader under a {@link ReadPreference}. Each call routes anew; a connection stays on its
 * node until it is closed.
 *
 * <p>Under {@link ReadConsistency#READ_YOUR_WRITES} (configured, or chosen by the thread's
 * {@link ConsistencyScope}) a connection to the primary advances the scope to the primary's WAL position once its
 * work has committed, and a read goes to a node that has replayed the scope's position (see
 * {@link ClusterTopology#readConnection(ReadPreference, ConsistencyToken)}).
 */
public final class RoutingDataSource extends AbstractDataSource {

    private static final ThreadLocal<@Nullable ReadPreference> OVERRIDE = new ThreadLocal<>();

    /** Per topology, whether the primary's position query has run on its own, so that commits may carry it. */
    private static final Map<ClusterTopology, AtomicBoolean> POSITION_RUNS = Collections
        .synchronizedMap(new WeakHashMap<>());

    private final ClusterTopology topology;

    private final @Nullable ReadPreference preference;

    private final AtomicBoolean positionRuns;

    private RoutingDataSource(ClusterTopology topology, @Nullable ReadPreference preference) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.preference = preference;
        this.positionRuns = POSITION_RUNS.computeIfAbsent(topology, (key) -> new AtomicBoolean());
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
        ReadConsistency configured = this.topology.settings().consistency();
        if (this.preference == null) {
            Connection connection = this.topology.primaryConnection();
            if (!ConsistencyScope.tracksWrites(configured)) {
                return connection;
            }
            try {
                return WriteTrackingConnection.wrap(connection, this.topology.settings().checkTimeout(),
                        this.topology.settings().readYourWritesWindow(), this.positionRuns);
            }
            catch (SQLException | RuntimeException ex) {
                connection.close();
                throw ex;
            }
        }
        ReadPreference override = OVERRIDE.get();
        ReadPreference preference = (override != null) ? override : this.preference;
        if (ConsistencyScope.level(configured) != ReadConsistency.READ_YOUR_WRITES) {
            return this.topology.readConnection(preference);
        }
        if (ConsistencyScope.isUnsettled()) {
            try {
                settle();
            }
            catch (SQLException ex) {
                if (preference == ReadPreference.SECONDARY || SqlStates.isConnectionLoss(ex.getSQLState())) {
                    throw ex;
                }
                // the primary answers but will not say its position (its functions' privileges revoked): it has
                // every write
                return this.topology.readConnection(ReadPreference.PRIMARY);
            }
        }
        long position = ConsistencyScope.requiredPosition(configured);
        return this.topology.readConnection(preference, (position != 0) ? new ConsistencyToken(position) : null);
    }

    /** Learns the primary's position now, which is past a write whose own position could not be taken. */
    private void settle() throws SQLException {
        try (Connection connection = this.topology.primaryConnection()) {
            // bounded like a check, so a hung primary cannot hold every read of the scope
            connection.setNetworkTimeout(Runnable::run,
                    (int) Math.max(1, Math.min(Integer.MAX_VALUE, this.topology.settings().checkTimeout().toMillis())));
            try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery(WriteTrackingConnection.POSITION_SQL)) {
                rs.next();
                ConsistencyScope.recordWrite(rs.getLong(1), this.topology.settings().readYourWritesWindow());
            }
            this.positionRuns.set(true);
        }
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
