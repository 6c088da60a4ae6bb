package io.nexs.postgres.observe;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * Something the {@link SafetyMonitor} found, reported once.
 *
 * @param kind what it is
 * @param node the node it concerns
 * @param pid the server process of the session, when it concerns one
 * @param duration how long it has lasted when found
 * @param detail what an operator needs to act: the blocking sessions, the statement with literals removed, the
 * borrowing thread
 * @param stackTrace for a connection leak, where the connection was borrowed
 * @param at when it was found
 */
public record SafetyFinding(Kind kind, String node, @Nullable Integer pid, Duration duration, String detail,
        @Nullable String stackTrace, Instant at) {

    /** The kinds of finding. */
    public enum Kind {

        /** A connection borrowed from a pool for longer than the leak threshold. */
        CONNECTION_LEAK,

        /** A statement of this application running longer than the threshold. */
        LONG_RUNNING,

        /** A session of this application idle inside an open transaction for longer than the threshold. */
        IDLE_IN_TRANSACTION,

        /** A session of this application waiting for a lock held by another session. */
        LOCK_WAIT,

        /** The server resolved deadlocks in this database since the last check. */
        DEADLOCK

    }

}
