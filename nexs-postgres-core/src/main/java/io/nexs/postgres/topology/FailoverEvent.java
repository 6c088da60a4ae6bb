package io.nexs.postgres.topology;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * Writes moved to another node: a new primary was found after the previous one failed, was demoted or lost a
 * split-brain.
 *
 * @param previousPrimary the node that took writes before, or {@code null} when none was known
 * @param newPrimary the node that takes writes now
 * @param timeline the new primary's timeline
 * @param writesUnavailable how long no node took writes, {@link Duration#ZERO} when the change was direct
 * @param timestamp when the monitor noticed
 */
public record FailoverEvent(@Nullable String previousPrimary, String newPrimary, long timeline,
        Duration writesUnavailable, Instant timestamp) implements TopologyEvent {

}
