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
 * @param stale whether the node reports itself primary on an older timeline than another primary seen: it takes
 * neither reads nor writes until it is rebuilt as a replica
 * @param timeline the server's timeline, 0 before the first good check
 * @param replayLag for a replica, how far its replay trails the primary in time; {@code null} when unknown
 * @param replayLagBytes for a replica, how many bytes of WAL it has still to replay compared with the primary's
 * last known position; {@code null} when unknown
 * @param latency a smoothed round-trip time of the checks; {@code null} before the first good check
 * @param consecutiveFailures failed checks since the last good one
 * @param lastChecked when the last check finished, or {@code null}
 * @param lastError why the last check failed, or {@code null} after a good one
 * @param serverVersion the server's version, or {@code null} before the first good check
 */
public record NodeHealth(String name, NodeAddress address, NodeState state, NodeRole role, boolean writable,
        boolean stale, long timeline, @Nullable Duration replayLag, @Nullable Long replayLagBytes,
        @Nullable Duration latency, int consecutiveFailures, @Nullable Instant lastChecked, @Nullable String lastError,
        @Nullable String serverVersion) {

}
