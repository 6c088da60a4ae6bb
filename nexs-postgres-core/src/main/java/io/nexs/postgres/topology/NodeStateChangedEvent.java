package io.nexs.postgres.topology;

import java.time.Instant;

/**
 * A node changed state or role, for example a replica that became unhealthy, or a primary that came back as a
 * replica.
 *
 * @param node the node's name
 * @param previousState the state before
 * @param state the state now
 * @param previousRole the role before
 * @param role the role now
 * @param reason why, in words (no data or secrets)
 * @param timestamp when the monitor noticed
 */
public record NodeStateChangedEvent(String node, NodeState previousState, NodeState state, NodeRole previousRole,
        NodeRole role, String reason, Instant timestamp) implements TopologyEvent {

}
