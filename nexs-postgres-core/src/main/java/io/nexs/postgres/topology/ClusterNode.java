package io.nexs.postgres.topology;

import java.time.Duration;

import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.pool.NodePool;

/**
 * One node of a {@link ClusterTopology}: its definition, its pool, and the {@link NodeSnapshot} the topology
 * published after its last check. The snapshot is replaced whole, never changed in place.
 */
public final class ClusterNode {

    private final NodeDefinition definition;

    private final NodePool pool;

    private volatile NodeSnapshot snapshot = NodeSnapshot.UNCHECKED;

    ClusterNode(NodeDefinition definition, NodePool pool) {
        this.definition = definition;
        this.pool = pool;
    }

    /**
     * The node's name: {@code host:port} unless the configuration gives one.
     * @return the name
     */
    public String name() {
        return this.definition.name();
    }

    /**
     * Where the node listens.
     * @return the address
     */
    public NodeAddress address() {
        return this.definition.connection().address();
    }

    /**
     * The node as configured.
     * @return the definition
     */
    public NodeDefinition definition() {
        return this.definition;
    }

    /**
     * The node's pool.
     * @return the pool
     */
    public NodePool pool() {
        return this.pool;
    }

    /**
     * What the topology knows about the node now, as of one moment.
     * @return the snapshot
     */
    public NodeSnapshot snapshot() {
        return this.snapshot;
    }

    /**
     * The monitor's verdict now.
     * @return the state
     */
    public NodeState state() {
        return this.snapshot.state();
    }

    /**
     * The role the node reported at its last good check.
     * @return the role
     */
    public NodeRole role() {
        return this.snapshot.role();
    }

    /**
     * The timeline the node reported at its last good check.
     * @return the timeline, or 0 when not known
     */
    public long timeline() {
        return this.snapshot.timeline();
    }

    /**
     * Whether writes go to this node now.
     * @return whether it is the writable primary
     */
    public boolean isWritable() {
        return this.snapshot.writable();
    }

    void publish(NodeSnapshot snapshot) {
        this.snapshot = snapshot;
    }

    /**
     * The health view of the snapshot.
     * @param primaryLsn the writable primary's last known WAL position, or -1
     * @return the view
     */
    NodeHealth health(long primaryLsn) {
        NodeSnapshot now = this.snapshot;
        Long lagBytes = null;
        if (now.role() == NodeRole.REPLICA && primaryLsn >= 0 && now.lsn() >= 0) {
            lagBytes = Math.max(0, primaryLsn - now.lsn());
        }
        return new NodeHealth(name(), address(), now.state(), now.role(), now.writable(), now.stale(),
                now.timeline(),
                (now.role() == NodeRole.REPLICA && now.lagNanos() >= 0) ? Duration.ofNanos(now.lagNanos()) : null,
                lagBytes, (now.latencyNanos() >= 0) ? Duration.ofNanos(now.latencyNanos()) : null,
                now.consecutiveFailures(), now.lastChecked(), now.lastError(), now.serverVersion(),
                now.readsWithheld());
    }

    @Override
    public String toString() {
        NodeSnapshot now = this.snapshot;
        return "ClusterNode[" + name() + ", " + now.state().label() + ", " + now.role().label() + "]";
    }

}
