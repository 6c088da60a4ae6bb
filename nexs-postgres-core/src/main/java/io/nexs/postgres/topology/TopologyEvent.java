package io.nexs.postgres.topology;

import java.time.Instant;

/**
 * Something the topology monitor noticed. With Spring, every event is published as an application event, so an
 * {@code @EventListener} method taking one of the implementations receives it.
 */
public sealed interface TopologyEvent permits NodeStateChangedEvent, FailoverEvent, SplitBrainEvent {

    /**
     * When the monitor noticed it.
     * @return the time
     */
    Instant timestamp();

}
