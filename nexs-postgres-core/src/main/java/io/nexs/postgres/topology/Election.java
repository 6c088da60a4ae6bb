package io.nexs.postgres.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

/**
 * Decides, from what the checks last found out about each node, which node takes writes, which replicas may serve
 * reads, whether the cluster is split and which nodes are fenced off. Nothing here talks to a server, reads a clock
 * or holds a lock: the topology hands in the facts and applies the outcome, so every rule can be tested without a
 * PostgreSQL server.
 *
 * <p>The rules: a node counts as primary when it is healthy and reports itself primary. A node that reports
 * primary on an older timeline than the newest primary ever seen is <em>stale</em>: it takes neither reads nor
 * writes until it comes back as a replica. Writes go to the one primary on the newest timeline, or to none when
 * several share it. With failover off, writes stay with the first primary seen. Replicas serve reads while healthy,
 * on the newest timeline a primary has been seen on (a replica still following an older one, say one that was not
 * pointed at a newly promoted primary, is stale too) and, with a lag limit, while their lag is known and within it.
 * A replica whose timeline cannot be told is not judged by it.
 */
final class Election {

    private final boolean failoverEnabled;

    private final @Nullable Duration maxLag;

    /**
     * Creates the decisions for the given settings.
     * @param failoverEnabled whether writes follow a new primary
     * @param maxLag replicas further behind serve no reads; {@code null} for no limit
     */
    Election(boolean failoverEnabled, @Nullable Duration maxLag) {
        this.failoverEnabled = failoverEnabled;
        this.maxLag = maxLag;
    }

    /**
     * The decisions under a topology's settings.
     * @param settings the settings
     * @return the decisions
     */
    static Election of(TopologySettings settings) {
        return new Election(settings.failoverEnabled(), settings.maxLag());
    }

    /**
     * Decides where work goes.
     * @param nodes every node's last known facts, in configuration order
     * @param before what earlier decisions left behind
     * @return the outcome
     */
    Outcome decide(List<Candidate> nodes, Memory before) {
        List<String> primaries = new ArrayList<>();
        long newest = 0;
        for (Candidate node : nodes) {
            if (node.state() == NodeState.HEALTHY && node.role() == NodeRole.PRIMARY) {
                primaries.add(node.name());
                newest = Math.max(newest, node.timeline());
            }
        }
        long highestTimeline = Math.max(before.highestTimeline(), newest);
        Set<String> stale = new TreeSet<>();
        List<String> onNewest = new ArrayList<>();
        for (Candidate node : nodes) {
            // an unhealthy node's last word does not count, a recovering one's does: it may come back as primary
            boolean claimsPrimary = node.role() == NodeRole.PRIMARY && node.state() != NodeState.UNHEALTHY;
            if (claimsPrimary && onOlderTimeline(node, highestTimeline)) {
                stale.add(node.name());
            }
            else if (primaries.contains(node.name())) {
                onNewest.add(node.name());
            }
            else if (node.role() == NodeRole.REPLICA && node.state() != NodeState.UNHEALTHY
                    && onOlderTimeline(node, highestTimeline)) {
                stale.add(node.name());
            }
        }
        String primary = (onNewest.size() == 1) ? onNewest.get(0) : null;
        String pinned = before.pinnedPrimary();
        if (!this.failoverEnabled) {
            if (pinned == null && primary != null) {
                pinned = primary;
            }
            primary = (pinned != null && onNewest.contains(pinned)) ? pinned : null;
        }
        List<String> readable = new ArrayList<>();
        Map<String, String> withheld = new LinkedHashMap<>();
        for (Candidate node : nodes) {
            if (node.state() != NodeState.HEALTHY || node.role() != NodeRole.REPLICA) {
                continue;
            }
            String why = withheld(node, stale.contains(node.name()), highestTimeline);
            if (why == null) {
                readable.add(node.name());
            }
            else {
                withheld.put(node.name(), why);
            }
        }
        String displaced = (before.primary() != null && !before.primary().equals(primary)) ? before.primary() : null;
        boolean fenceDisplaced = displaced != null && this.failoverEnabled && nodes.stream()
            .anyMatch((node) -> node.name().equals(displaced) && node.state() != NodeState.MAINTENANCE);
        return new Outcome(primary, List.copyOf(readable), List.copyOf(primaries), Set.copyOf(stale), displaced,
                fenceDisplaced, new Memory(highestTimeline, pinned, primary), Collections.unmodifiableMap(withheld));
    }

    private static boolean onOlderTimeline(Candidate node, long highestTimeline) {
        return node.timeline() > 0 && node.timeline() < highestTimeline;
    }

    /** Why a healthy replica serves no reads, or {@code null} when it does. */
    private @Nullable String withheld(Candidate node, boolean stale, long highestTimeline) {
        if (stale) {
            return "follows timeline " + node.timeline() + ", older than timeline " + highestTimeline
                    + " of the newest primary";
        }
        if (this.maxLag == null) {
            return null;
        }
        if (node.lagNanos() < 0) {
            // not measured yet: start-up, a new primary, a replica that restarted; fresh is not assumed
            return "replay lag not measured yet";
        }
        if (node.lagNanos() > this.maxLag.toNanos()) {
            return "replay lag above max-lag (" + this.maxLag.toMillis() + " ms)";
        }
        return null;
    }

    /**
     * The newest timeline among the nodes that last reported primary, healthy or not: what a topology forgets
     * back to when a node leaves, so a timeline only the removed node had reached does not keep the others stale.
     * @param nodes the remaining nodes
     * @return the timeline, 0 when none reported primary
     */
    static long newestPrimaryTimeline(List<Candidate> nodes) {
        return nodes.stream()
            .filter((node) -> node.role() == NodeRole.PRIMARY)
            .mapToLong(Candidate::timeline)
            .max()
            .orElse(0);
    }

    /**
     * The monitor's verdict on a node after a check.
     * @param previous the verdict before the check
     * @param answered whether the check succeeded
     * @param inARow good checks in a row after a good one, failed checks in a row after a failed one
     * @param initial whether this is the first check, at start-up or when the node is added
     * @param threshold failed checks in a row that make a node unhealthy, good ones that make it healthy again
     * @return the verdict
     */
    static NodeState verdict(NodeState previous, boolean answered, int inARow, boolean initial, int threshold) {
        if (initial) {
            return answered ? NodeState.HEALTHY : NodeState.UNHEALTHY;
        }
        if (answered) {
            if (previous == NodeState.UNHEALTHY || previous == NodeState.RECOVERING) {
                return (inARow >= threshold) ? NodeState.HEALTHY : NodeState.RECOVERING;
            }
            return previous;
        }
        if (previous == NodeState.RECOVERING || (previous == NodeState.HEALTHY && inARow >= threshold)) {
            return NodeState.UNHEALTHY;
        }
        return previous;
    }

    /**
     * What the decisions need to know of one node.
     *
     * @param name the node's name
     * @param state the monitor's verdict
     * @param role the role it reported at its last good check
     * @param timeline the timeline it reported then, 0 when not known
     * @param lagNanos for a replica, how far its replay trails the primary; -1 when not known
     */
    record Candidate(String name, NodeState state, NodeRole role, long timeline, long lagNanos) {

        Candidate {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(role, "role");
        }

    }

    /**
     * What one decision leaves for the next.
     *
     * @param highestTimeline the newest timeline any primary has been seen on
     * @param pinnedPrimary with failover off, the node writes stay with; otherwise {@code null}
     * @param primary the node writes went to, or {@code null}
     */
    record Memory(long highestTimeline, @Nullable String pinnedPrimary, @Nullable String primary) {

        /** Before anything was decided. */
        static final Memory NONE = new Memory(0, null, null);

    }

    /**
     * Where work goes now.
     *
     * @param primary the node writes go to, or {@code null} while there is none or several claim it
     * @param readable the replicas that may serve reads, in configuration order
     * @param primaries the healthy nodes that report themselves primary; more than one is a split-brain
     * @param stale the nodes on an older timeline than the newest primary: primaries fenced off, replicas serving
     * no reads
     * @param displaced the node writes went to before and no longer do, or {@code null}
     * @param fenceDisplaced whether the displaced node's open sessions must be cut: it may still answer, and must
     * not carry on taking writes
     * @param memory what the next decision starts from
     * @param withheld the healthy replicas that serve no reads, each with why, in configuration order
     */
    record Outcome(@Nullable String primary, List<String> readable, List<String> primaries, Set<String> stale,
            @Nullable String displaced, boolean fenceDisplaced, Memory memory, Map<String, String> withheld) {

        /**
         * Whether more than one healthy node reports itself primary.
         * @return whether the cluster is split
         */
        boolean splitBrain() {
            return this.primaries.size() > 1;
        }

        /**
         * Whether writes moved: to a new primary, or away from the last one.
         * @param before the primary before the decision, or {@code null}
         * @return whether the primary changed
         */
        boolean primaryChanged(@Nullable String before) {
            return !Objects.equals(before, this.primary);
        }

    }

}
