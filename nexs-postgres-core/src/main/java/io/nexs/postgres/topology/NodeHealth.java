package io.nexs.postgres.topology;

import java.time.Duration;
import java.time.Instant;

import io.nexs.postgres.pool.NodeAddress;
import org.jspecify.annotations.Nullable;

/**
 * What the topology monitor knows about one node, as of its last check. Never holds data or secrets: the last
 * error is the driver's message about the connection, not about a statement.
 *
 * @param name the node's name
 * @param address where it listens
 * @param state the monitor's verdict
 * @param role the role the server reported last
 * @param writable whether writes go to this node now
 * @param stale whether the node is on an older timeline than the newest primary seen: a primary takes neither reads
 * nor writes until it is rebuilt as a replica, a replica serves no reads until it follows the newest timeline
 * @param timeline the server's timeline (for a replica, the one it follows), 0 before the first good check or when
 * it cannot be told
 * @param replayLag for a replica, how far its replay trails the primary in time; {@code null} when unknown
 * @param replayLagBytes for a replica, how many bytes of WAL it has still to replay compared with the primary's
 * last known position; {@code null} when unknown
 * @param latency a smoothed round-trip time of the checks; {@code null} before the first good check
 * @param consecutiveFailures failed checks since the last good one
 * @param lastChecked when the last check finished, or {@code null}
 * @param lastError why the last check failed, or {@code null} after a good one
 * @param serverVersion the server's version, or {@code null} before the first good check
 * @param readsWithheld why the node, a healthy replica, serves no reads: a stale timeline, a replay lag above
 * {@code max-lag}, or one not measured yet while {@code max-lag} is set; {@code null} when it serves them or is no
 * replica
 */
public record NodeHealth(String name, NodeAddress address, NodeState state, NodeRole role, boolean writable,
        boolean stale, long timeline, @Nullable Duration replayLag, @Nullable Long replayLagBytes,
        @Nullable Duration latency, int consecutiveFailures, @Nullable Instant lastChecked, @Nullable String lastError,
        @Nullable String serverVersion, @Nullable String readsWithheld) {

    /**
     * A view that tells no reason for withheld reads.
     * @param name the node's name
     * @param address where it listens
     * @param state the monitor's verdict
     * @param role the role the server reported last
     * @param writable whether writes go to this node now
     * @param stale whether the node is on an older timeline than the newest primary seen
     * @param timeline the server's timeline
     * @param replayLag the replay lag of a replica in time
     * @param replayLagBytes the replay lag of a replica in bytes
     * @param latency a smoothed round-trip time of the checks
     * @param consecutiveFailures failed checks since the last good one
     * @param lastChecked when the last check finished
     * @param lastError why the last check failed
     * @param serverVersion the server's version
     */
    public NodeHealth(String name, NodeAddress address, NodeState state, NodeRole role, boolean writable,
            boolean stale, long timeline, @Nullable Duration replayLag, @Nullable Long replayLagBytes,
            @Nullable Duration latency, int consecutiveFailures, @Nullable Instant lastChecked,
            @Nullable String lastError, @Nullable String serverVersion) {
        this(name, address, state, role, writable, stale, timeline, replayLag, replayLagBytes, latency,
                consecutiveFailures, lastChecked, lastError, serverVersion, null);
    }

}
