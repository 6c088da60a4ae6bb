package io.nexs.postgres.topology;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises a split-brain once every node involved has answered a check after it was first seen claiming primary: a
 * primary that was just killed still counts as healthy until its next check, which must not raise an alarm during
 * an ordinary failover. Routing does not wait for this; the {@link Election} already keeps writes safe. Each
 * split-brain is reported once. Not thread-safe; the topology calls it under its lock.
 */
final class SplitBrainAlarm {

    private static final Logger logger = LoggerFactory.getLogger(SplitBrainAlarm.class);

    /** The split-brain reported last. */
    private @Nullable List<String> reported;

    /** Nodes seen claiming primary together, with their good checks then. */
    private @Nullable Map<NodeTracker, Long> suspected;

    /**
     * Looks at the nodes that claim primary now.
     * @param primaries the healthy nodes that report primary, more than one
     * @param writable the node writes go to, or {@code null}
     * @return the event to publish, or {@code null} when nothing is to be reported yet (or again)
     */
    @Nullable SplitBrainEvent observe(List<NodeTracker> primaries, @Nullable NodeTracker writable) {
        List<String> names = primaries.stream().map(NodeTracker::name).sorted().toList();
        if (names.equals(this.reported)) {
            return null;
        }
        Map<NodeTracker, Long> suspected = this.suspected;
        if (suspected == null || !suspected.keySet().equals(Set.copyOf(primaries))) {
            Map<NodeTracker, Long> checks = new HashMap<>();
            primaries.forEach((node) -> checks.put(node, node.goodChecks));
            this.suspected = checks;
            // confirm at once rather than at the next turn
            primaries.forEach(ClusterMonitor::wake);
            return null;
        }
        if (suspected.entrySet().stream().anyMatch((entry) -> entry.getKey().goodChecks <= entry.getValue())) {
            return null;
        }
        this.reported = names;
        String writableName = (writable != null) ? writable.name() : null;
        logger.error("Split-brain: PostgreSQL nodes {} all report primary. Writes go to {}. The cluster manager "
                + "must demote the others.", names, (writable != null)
                        ? writableName + " (newest timeline " + writable.timeline + ")"
                        : "none of them until only one remains");
        return new SplitBrainEvent(names, writableName, Instant.now());
    }

    /** At most one node claims primary: a later split-brain is reported anew. */
    void clear() {
        this.reported = null;
        this.suspected = null;
    }

}
