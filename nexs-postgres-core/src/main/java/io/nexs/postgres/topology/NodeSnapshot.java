package io.nexs.postgres.topology;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * What the topology knew about a node after its last check or decision. The topology replaces a node's snapshot
 * whole, so a reader sees the state, role and timeline of one moment, never half of an update.
 *
 * @param state the monitor's verdict
 * @param role the role the server reported at its last good check
 * @param timeline the timeline it reported then, 0 when not known
 * @param lsn for a primary its WAL position, for a replica its replay position; -1 when not known
 * @param lagNanos for a replica, how far its replay trails the primary (see the README: from the primary's WAL
 * positions and the replica's last replayed commit); -1 when not known
 * @param latencyNanos a smoothed round-trip time of the checks; -1 before the first good check
 * @param consecutiveFailures failed checks since the last good one
 * @param lastChecked when the last check finished, or {@code null}
 * @param lastError why the last check failed, or {@code null} after a good one
 * @param serverVersion the server's version, or {@code null} before the first good check
 * @param stale whether the node is on an older timeline than the newest primary seen: a primary that takes no work,
 * or a replica still following the old timeline, which serves no reads
 * @param writable whether writes go to the node
 * @param readsWithheld why the node, a healthy replica, serves no reads (stale timeline, lag above or not yet
 * known under the lag limit); {@code null} when it serves them or is no replica
 */
public record NodeSnapshot(NodeState state, NodeRole role, long timeline, long lsn, long lagNanos,
        long latencyNanos, int consecutiveFailures, @Nullable Instant lastChecked, @Nullable String lastError,
        @Nullable String serverVersion, boolean stale, boolean writable, @Nullable String readsWithheld) {

    /** Before the first check: nothing known, no work taken. */
    static final NodeSnapshot UNCHECKED = new NodeSnapshot(NodeState.UNHEALTHY, NodeRole.UNKNOWN, 0, -1, -1, -1, 0,
            null, null, null, false, false, null);

    /**
     * A snapshot that tells no reason for withheld reads.
     * @param state the monitor's verdict
     * @param role the role the server reported at its last good check
     * @param timeline the timeline it reported then
     * @param lsn its WAL or replay position
     * @param lagNanos the replay lag of a replica
     * @param latencyNanos a smoothed round-trip time of the checks
     * @param consecutiveFailures failed checks since the last good one
     * @param lastChecked when the last check finished
     * @param lastError why the last check failed
     * @param serverVersion the server's version
     * @param stale whether the node is on an older timeline than the newest primary seen
     * @param writable whether writes go to the node
     */
    public NodeSnapshot(NodeState state, NodeRole role, long timeline, long lsn, long lagNanos, long latencyNanos,
            int consecutiveFailures, @Nullable Instant lastChecked, @Nullable String lastError,
            @Nullable String serverVersion, boolean stale, boolean writable) {
        this(state, role, timeline, lsn, lagNanos, latencyNanos, consecutiveFailures, lastChecked, lastError,
                serverVersion, stale, writable, null);
    }

}
