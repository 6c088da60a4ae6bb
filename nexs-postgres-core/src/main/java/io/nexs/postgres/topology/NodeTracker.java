package io.nexs.postgres.topology;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import io.nexs.postgres.pool.NodePool;
import org.jspecify.annotations.Nullable;

/**
 * The mutable side of one node, kept inside the topology: what its checks found, and what the monitor loop needs to
 * pace them. The check results are written under the topology's lock and published to readers as a
 * {@link NodeSnapshot} through {@link #publish()}; nothing outside this package sees these fields.
 */
final class NodeTracker {

    private static final double LATENCY_SMOOTHING = 0.3;

    final ClusterNode node;

    final NodeProbe probe;

    // ------------------------------------------------------------------- the monitor loop's, under monitorLock

    final Object monitorLock = new Object();

    boolean wakeRequested;

    volatile boolean monitored = true;

    volatile @Nullable Thread monitorThread;

    /** Checks the monitor has begun, counted from 1. */
    volatile long probesStarted;

    /** The number of the last check the monitor has finished and applied. */
    volatile long lastProbeCompleted;

    /**
     * The number of the first check begun after the latest connection loss reported for the node, 0 before any:
     * a check of that number or later tells whether the node survived the loss.
     */
    final AtomicLong lossProbe = new AtomicLong();

    // ----------------------------------------------------------------------- the checks', under the topology's lock

    volatile NodeState state = NodeState.UNHEALTHY;

    volatile NodeRole role = NodeRole.UNKNOWN;

    volatile long timeline;

    volatile long lsn = -1;

    /** How far replay trails the primary, as {@link PrimaryPositions} tells it; -1 unknown. */
    volatile long lagNanos = -1;

    /** For a replica, the commit time of the last transaction it replayed, as its last good check reported. */
    volatile long replayedCommitMicros = NodeCheck.NO_TIME;

    volatile long latencyNanos = -1;

    volatile int failures;

    /** Checks that succeeded. */
    volatile long goodChecks;

    /** Good checks in a row. */
    volatile int successes;

    /**
     * Whether a check of this node, as the writable primary, has been running for longer than a healthy server
     * takes: the other nodes are then checked often, so a promotion elsewhere is seen at once.
     */
    volatile boolean stalled;

    /** When the node, as the writable primary, first stopped answering in time; 0 while it answers. */
    volatile long troubleSince;

    volatile @Nullable Instant lastChecked;

    volatile @Nullable String lastError;

    volatile @Nullable String serverVersion;

    volatile boolean stale;

    volatile boolean writable;

    /** Why the node, a healthy replica, serves no reads; {@code null} when it does or is no replica. */
    volatile @Nullable String readsWithheld;

    NodeTracker(ClusterNode node) {
        this.node = node;
        this.probe = new NodeProbe(node.name(), node.pool());
    }

    String name() {
        return this.node.name();
    }

    NodePool pool() {
        return this.node.pool();
    }

    /** Folds a good check into the smoothed latency. */
    void recordLatency(long roundTripNanos) {
        long previous = this.latencyNanos;
        this.latencyNanos = (previous < 0) ? roundTripNanos
                : (long) (LATENCY_SMOOTHING * roundTripNanos + (1 - LATENCY_SMOOTHING) * previous);
    }

    /** Makes what is known now the node's snapshot; called under the topology's lock. */
    void publish() {
        this.node.publish(new NodeSnapshot(this.state, this.role, this.timeline, this.lsn, this.lagNanos,
                this.latencyNanos, this.failures, this.lastChecked, this.lastError, this.serverVersion, this.stale,
                this.writable, this.readsWithheld));
    }

    @Override
    public String toString() {
        return this.node.toString();
    }

}
