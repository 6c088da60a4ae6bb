package io.nexs.postgres.consistency;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * The thread-bound scope whose reads must see its writes. A write committed on the primary advances the scope to
 * the primary's WAL position after it; a read under {@link ReadConsistency#READ_YOUR_WRITES} then goes only to a
 * replica that has replayed that far, or to the primary.
 *
 * <p>Under read-your-writes every thread that writes keeps a scope of its own, as long as the thread lives, so a
 * write followed by a read on the
 * same thread (a request that creates an order and reads it back, a {@code @Transactional(readOnly = true)} method
 * after a write) works with no code. An application opens a narrower scope to choose the level for some calls, or
 * to carry a {@link ConsistencyToken} from one request, thread or service to the next:
 * <pre class="code">
 * try (ConsistencyScope scope = ConsistencyScope.open(tokenFromTheClient)) {
 *     Order order = orders.place(newOrder);
 *     response.setHeader("Nexs-Consistency-Token", scope.token().toString());
 * }
 * </pre>
 * Scopes nest: closing one restores the one it was opened in, which learns of the writes made in it. A scope is
 * used by the thread that opened it and closed by it, like a transaction.
 */
public final class ConsistencyScope implements AutoCloseable {

    private static final ThreadLocal<@Nullable ConsistencyScope> CURRENT = new ThreadLocal<>();

    /** The level chosen for the scope, or {@code null} for the configured one. */
    private final @Nullable ReadConsistency level;

    private final @Nullable ConsistencyScope previous;

    /** The WAL position reads must have seen, 0 for none. */
    private long position;

    /** A write committed, or may have, whose position is not known: the next read asks the primary for it. */
    private boolean unsettled;

    private @Nullable Consumer<ConsistencyToken> listener;

    private boolean closed;

    private ConsistencyScope(@Nullable ReadConsistency level, @Nullable ConsistencyScope previous, long position) {
        this.level = level;
        this.previous = previous;
        this.position = position;
    }

    /**
     * Opens a read-your-writes scope on this thread that starts from a token, such as one a client sent back.
     * @param token the position reads must have seen already, or {@code null} for the writes of the scope only
     * @return the scope, to close on this thread
     */
    public static ConsistencyScope open(@Nullable ConsistencyToken token) {
        return open(ReadConsistency.READ_YOUR_WRITES, token);
    }

    /**
     * Opens a scope on this thread with a level of its own.
     * @param level how fresh the scope's reads must be
     * @param token the position reads must have seen already, or {@code null}
     * @return the scope, to close on this thread
     */
    public static ConsistencyScope open(ReadConsistency level, @Nullable ConsistencyToken token) {
        ConsistencyScope scope = new ConsistencyScope(level, CURRENT.get(), (token != null) ? token.position() : 0);
        CURRENT.set(scope);
        return scope;
    }

    /**
     * Runs work whose reads see its writes and those the enclosing scope has seen, whatever level is configured.
     * @param <T> the result type
     * @param work the work
     * @return the work's result
     */
    public static <T> T readYourWrites(Supplier<T> work) {
        return within(ReadConsistency.READ_YOUR_WRITES, work);
    }

    /**
     * Runs work whose reads may go to any replica, whatever level is configured.
     * @param <T> the result type
     * @param work the work
     * @return the work's result
     */
    public static <T> T eventual(Supplier<T> work) {
        return within(ReadConsistency.EVENTUAL, work);
    }

    private static <T> T within(ReadConsistency level, Supplier<T> work) {
        ConsistencyScope current = CURRENT.get();
        try (ConsistencyScope scope = open(level, null)) {
            if (current != null && level == ReadConsistency.READ_YOUR_WRITES) {
                scope.position = current.position;
                scope.unsettled = current.unsettled;
            }
            return work.get();
        }
    }

    /**
     * The token of the scope open on this thread: the furthest position its reads must see.
     * @return the token, or empty when the thread wrote nothing in read-your-writes and was given no token
     */
    public static Optional<ConsistencyToken> currentToken() {
        ConsistencyScope scope = CURRENT.get();
        return (scope != null) ? Optional.ofNullable(scope.token()) : Optional.empty();
    }

    /**
     * The furthest position this scope's reads must see.
     * @return the token, or {@code null} when there is none yet
     */
    public @Nullable ConsistencyToken token() {
        return (this.position != 0) ? new ConsistencyToken(this.position) : null;
    }

    /**
     * Tells a listener of every advance of this scope, on the thread that wrote, right after the write committed:
     * for example to put the new token in a response before the response is sent.
     * @param listener the listener, or {@code null} for none
     */
    public void onAdvance(@Nullable Consumer<ConsistencyToken> listener) {
        this.listener = listener;
    }

    /**
     * Closes the scope: the scope it was opened in is the thread's again and learns of the writes made in this
     * one. Closing a scope twice, or on another thread, does nothing.
     */
    @Override
    public void close() {
        if (this.closed || CURRENT.get() != this) {
            return;
        }
        this.closed = true;
        ConsistencyScope outer = this.previous;
        if (outer != null) {
            CURRENT.set(outer);
            outer.unsettled |= this.unsettled;
            outer.advance(this.position);
        }
        else {
            CURRENT.remove();
        }
    }

    private void advance(long position) {
        if (position > this.position) {
            this.position = position;
            Consumer<ConsistencyToken> listener = this.listener;
            if (listener != null) {
                listener.accept(new ConsistencyToken(position));
            }
        }
    }

    // ------------------------------------------------------------------------------------- for the routing

    /**
     * The level that applies on this thread now: the innermost open scope's, else the configured one.
     * @param configured the level configured for the application
     * @return the level
     */
    public static ReadConsistency level(ReadConsistency configured) {
        for (ConsistencyScope scope = CURRENT.get(); scope != null; scope = scope.previous) {
            if (scope.level != null) {
                return scope.level;
            }
        }
        return configured;
    }

    /**
     * The WAL position a read made now on this thread must have seen. Used by the routing.
     * @param configured the level configured for the application
     * @return the position, 0 when any replica will do
     */
    public static long requiredPosition(ReadConsistency configured) {
        ConsistencyScope scope = CURRENT.get();
        if (scope == null || level(configured) != ReadConsistency.READ_YOUR_WRITES) {
            return 0;
        }
        return scope.position;
    }

    /**
     * Whether writes committed now on this thread must be remembered, which costs a query on the primary after
     * each. Used by the routing.
     * @param configured the level configured for the application
     * @return whether the thread reads its writes
     */
    public static boolean tracksWrites(ReadConsistency configured) {
        return level(configured) == ReadConsistency.READ_YOUR_WRITES;
    }

    /**
     * Advances the scope open on this thread, or the thread's own, to the position after a write that committed.
     * Used by the routing.
     * @param position the primary's WAL position after the commit
     */
    public static void recordWrite(long position) {
        if (position == 0) {
            return;
        }
        ConsistencyScope scope = threadScope();
        // a position taken after a write of unknown position is past it
        scope.unsettled = false;
        scope.advance(position);
    }

    /**
     * Tells the scope open on this thread, or the thread's own, that a write committed or may have but its
     * position could not be taken; its next read-your-writes read asks the primary for its position first. Used
     * by the routing.
     */
    public static void recordUnknownWrite() {
        threadScope().unsettled = true;
    }

    /**
     * Whether the scope open on this thread must learn the primary's position before its next read. Used by the
     * routing.
     * @return whether a write of unknown position happened since the scope last learnt one
     */
    public static boolean isUnsettled() {
        ConsistencyScope scope = CURRENT.get();
        return scope != null && scope.unsettled;
    }

    private static ConsistencyScope threadScope() {
        ConsistencyScope scope = CURRENT.get();
        if (scope == null) {
            scope = new ConsistencyScope(null, null, 0);
            CURRENT.set(scope);
        }
        return scope;
    }

}
