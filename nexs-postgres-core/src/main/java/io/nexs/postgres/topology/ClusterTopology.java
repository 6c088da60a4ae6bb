package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import io.nexs.postgres.consistency.ConsistencyToken;
import io.nexs.postgres.pool.PoolListener;
import org.jspecify.annotations.Nullable;

/**
 * The nodes of a PostgreSQL cluster (a primary and its streaming replicas), one pool each, watched by a monitor
 * that decides where writes and reads go; also the API to take nodes out of service, add and remove them.
 *
 * <p>Writes go to the one healthy node that reports itself primary. When several do (split-brain), writes go to
 * the one on the newest timeline if it is alone there, otherwise to none; a node reporting primary on an older
 * timeline than any primary seen before is never used again until it comes back as a replica. Nothing here
 * promotes a node: promotion belongs to the cluster manager.
 *
 * <p>{@link DefaultClusterTopology} is the implementation; a decorator can wrap it, for example to record every
 * maintenance call:
 * <pre class="code">
 * ClusterTopology topology = new DefaultClusterTopology(definitions, TopologySettings.defaults(), List.of());
 * topology.start();
 * topology.drain("replica-1", Duration.ofSeconds(30));
 * </pre>
 * Implementations are thread-safe.
 */
public interface ClusterTopology extends AutoCloseable {

    /**
     * Warms up every node, checks each, then starts the monitor.
     * @throws NodeUnavailableException when no node can be reached and fail-fast is set
     */
    void start();

    /**
     * Borrows a connection from the primary, waiting up to the write-wait timeout for a node that reports itself
     * primary and up to the pool's connection timeout for a free connection.
     * @return a connection to the writable primary, to be closed by the caller
     * @throws SQLException when the pool has no connection in time
     * @throws FailoverInProgressException when no primary appears in time
     */
    Connection primaryConnection() throws SQLException;

    /**
     * Borrows a connection for reading under a read preference; when the preference falls back to the primary
     * this waits as {@link #primaryConnection()} does. The connection is marked read-only, so a transaction
     * begun on it is {@code READ ONLY} even on the primary.
     * @param preference which nodes may serve the read
     * @return the connection, to be closed by the caller
     * @throws SQLException when the pool has no connection in time
     * @throws ReplicaUnavailableException for {@link ReadPreference#SECONDARY} when no replica qualifies
     * @throws FailoverInProgressException when the read falls back to the primary and none appears in time
     */
    Connection readConnection(ReadPreference preference) throws SQLException;

    /**
     * Borrows a connection for reading from a node that has replayed the primary's WAL at least up to a position,
     * so that the read sees the writes committed before it. A replica qualifies when its last check showed it past
     * the position, or when asked directly it says so; when none does, the read waits up to the settings'
     * {@link TopologySettings#readYourWritesWait() read-your-writes wait} for one, then goes to the primary (or,
     * under {@link ReadPreference#SECONDARY}, fails). The default method knows nothing of replicas' positions: it
     * sends such a read to the primary, which has every write, and fails it under {@code SECONDARY}.
     * @param preference which nodes may serve the read
     * @param after the position the read must have seen, or {@code null} for any
     * @return the connection, marked read-only, to be closed by the caller
     * @throws SQLException when the pool has no connection in time
     * @throws ReplicaUnavailableException for {@link ReadPreference#SECONDARY} when no replica has the position in
     * time
     * @throws FailoverInProgressException when the read falls back to the primary and none appears in time
     */
    default Connection readConnection(ReadPreference preference, @Nullable ConsistencyToken after)
            throws SQLException {
        if (after == null || preference == ReadPreference.PRIMARY) {
            return readConnection(preference);
        }
        if (preference == ReadPreference.SECONDARY) {
            throw new ReplicaUnavailableException("No replica is known to have replayed WAL position " + after
                    + " for a read-your-writes read with read preference secondary");
        }
        return readConnection(ReadPreference.PRIMARY);
    }

    /**
     * The node a pooled connection belongs to.
     * @param connection a connection borrowed from one of the nodes, possibly wrapped by Spring's proxies
     * @return the node, or empty when it is not one of theirs
     */
    Optional<ClusterNode> nodeOf(Connection connection);

    /**
     * The node a statement runs on. It looks at the driver's own statement, which still knows its connection after
     * the pool has given up a broken one, so it works on the error path too.
     * @param statement a statement created on a connection of one of the nodes, possibly through Spring's proxies
     * @return the node, or empty when it is not one of theirs
     */
    default Optional<ClusterNode> nodeOf(Statement statement) {
        return nodes().stream().filter((node) -> node.pool().owns(statement)).findFirst();
    }

    /**
     * Tells the monitor that a borrower lost its connection, so the node is checked now rather than at its next
     * turn. Failures met on the pools' connections, their statements and result sets are reported by the node's
     * pool as they happen ({@link io.nexs.postgres.pool.ConnectionLossListener}); this is for a loss seen
     * elsewhere.
     * @param statement a statement of the connection that failed
     * @return the node it belongs to, if known
     */
    Optional<ClusterNode> connectionFailed(Statement statement);

    /**
     * Waits until the monitor has made up its mind about a node whose connection loss was reported, by its pool
     * or through {@link #connectionFailed(Statement)}: it failed enough checks to be unhealthy, writes left it for
     * another primary, or a check begun after the latest reported loss succeeded. Bounded by the time the checks
     * can take. Call it after the loss was reported, not instead.
     * @param node the node
     * @return its state then
     */
    NodeState awaitVerdict(ClusterNode node);

    /**
     * Sets who is told of every borrow and return, on every node's pool, including nodes added later.
     * @param listener the listener, or {@code null} for nobody
     */
    void setPoolListener(@Nullable PoolListener listener);

    /**
     * Adds one more listener told of every borrow and return, on every node's pool, including nodes added later.
     * @param listener the listener
     */
    void addPoolListener(PoolListener listener);

    /**
     * Receives every {@link TopologyEvent}, in order, on a thread of the topology's own; a listener must return
     * quickly and must not throw.
     * @param listener the listener
     */
    void addListener(Consumer<? super TopologyEvent> listener);

    /**
     * Takes a node out of service: no new borrowers, connections already borrowed carry on. Putting the primary in
     * maintenance makes writes wait for another primary.
     * @param name the node's name
     */
    void maintenance(String name);

    /**
     * Puts a node in {@link #maintenance(String) maintenance} and waits for its borrowed connections to come
     * back.
     * @param name the node's name
     * @param timeout the most to wait
     * @return whether no connection was borrowed any more at the end
     * @throws InterruptedException when interrupted while waiting
     */
    boolean drain(String name, Duration timeout) throws InterruptedException;

    /**
     * Ends a node's maintenance: it takes work again at once if its last check succeeded, otherwise once it
     * recovers.
     * @param name the node's name
     */
    void resume(String name);

    /**
     * Adds a node at run time: its pool is opened, it is checked once and then monitored like the others.
     * @param definition the node
     * @return the node
     * @throws IllegalArgumentException when a node of that name exists
     */
    ClusterNode addNode(NodeDefinition definition);

    /**
     * Removes a node at run time: no new borrowers, borrowed connections get the pool's shutdown timeout to come
     * back, then the pool is closed.
     * @param name the node's name
     * @throws IllegalArgumentException when no node has that name
     */
    void removeNode(String name);

    /**
     * The nodes, in configuration order (nodes added later last).
     * @return the nodes
     */
    List<ClusterNode> nodes();

    /**
     * The node of that name.
     * @param name the name
     * @return the node
     * @throws IllegalArgumentException when no node has that name
     */
    ClusterNode node(String name);

    /**
     * The node writes go to now.
     * @return the writable primary, or empty during a failover or a split-brain
     */
    Optional<ClusterNode> primary();

    /**
     * Whether more than one healthy node reports itself primary right now.
     * @return whether the cluster is split
     */
    boolean isSplitBrain();

    /**
     * What the monitor knows about every node.
     * @return one view per node, in {@link #nodes()} order
     */
    List<NodeHealth> health();

    /**
     * The settings in force.
     * @return the settings
     */
    TopologySettings settings();

    /**
     * Stops the monitor, then drains and closes every pool.
     */
    @Override
    void close();

}
