package io.nexs.postgres.topology;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * More than one node reports itself primary. Writes go to the one on the newest timeline when there is exactly
 * one such node, otherwise to none until the cluster manager demotes the others.
 *
 * @param primaries the names of the nodes that report primary
 * @param writable the node writes go to, or {@code null} when none can be trusted
 * @param timestamp when the monitor noticed
 */
public record SplitBrainEvent(List<String> primaries, @Nullable String writable, Instant timestamp)
        implements TopologyEvent {

    /**
     * Copies the list.
     * @param primaries the nodes that report primary
     * @param writable the node writes go to, or {@code null}
     * @param timestamp when the monitor noticed
     */
    public SplitBrainEvent {
        primaries = List.copyOf(primaries);
    }

}
