package io.nexs.postgres.consistency;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * The thread-bound scope whose reads must see its writes. A write committed on the primary advances the scope to
 * the primary's WAL position after it; a read under {@link ReadConsistency#READ_YOUR_WRITES} then goes only to a
 * replica that has replayed that far, or to the primary.
 *
 * <p>Under read-your-writes a thread that writes outside any open scope keeps a scope of its own for a bounded
 * time after its last write (the routing's read-your-writes window), so a write followed by a read on the same
 * thread (a repository's {@code save} then {@code findById}, a {@code @Transactional(readOnly = true)} method after
 * a write) works with no code, while a pooled thread that goes on to unrelated work reads from any replica again.
 * An application opens a scope, which lasts until it is closed, to choose the level for some calls, or to carry a
 * {@link ConsistencyToken} from one request, thread or service to the next:
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

    /** How long a thread's own scope lasts after its last write when the caller does not say. */
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(5);

    /** The level chosen for the scope, or {@code null} for the configured one. */
    private final @Nullable ReadConsistency level;

    private final @Nullable ConsistencyScope previous;

    /** The WAL position reads must have seen, 0 for none. */
    private long position;

    /** A write committed, or may have, whose position is not known: the next read asks the primary for it. */
    private boolean unsettled;

    private @Nullable Consumer<ConsistencyToken> listener;

    private boolean closed;

    /** The thread's own scope, opened by a write outside any scope: it ends a window after its last write. */
    private final boolean implicit;

    /** When the last write of the scope was recorded ({@link System#nanoTime()}), for the window. */
    private long lastWrite;

    /** How long after {@link #lastWrite} the scope lasts, when it is the thread's own. */
    private long windowNanos;

    private ConsistencyScope(@Nullable ReadConsistency level, @Nullable ConsistencyScope previous, long position,
            boolean implicit) {
        this.level = level;
        this.previous = previous;
        this.position = position;
        this.implicit = implicit;
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
        long position = (token != null) ? token.position() : 0;
        ConsistencyScope current = current();
        ConsistencyScope scope = new ConsistencyScope(level, current, position, false);
        if (current != null && level == ReadConsistency.READ_YOUR_WRITES) {
            // what the thread wrote lately, or the enclosing scope has seen, stays seen: a token from elsewhere
            // may be older than the thread's own last write
            scope.position = Math.max(position, current.position);
            scope.unsettled = current.unsettled;
        }
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
        try (ConsistencyScope scope = open(level, null)) {
            return work.get();
        }
    }

    /**
     * The token of the scope open on this thread: the furthest position its reads must see.
     * @return the token, or empty when the thread wrote nothing in read-your-writes and was given no token
     */
    public static Optional<ConsistencyToken> currentToken() {
        ConsistencyScope scope = current();
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
            if (outer.implicit && this.lastWrite != 0) {
                // the thread's own scope keeps what it learns for the window after the write, not longer
                outer.wrote(this.lastWrite, this.windowNanos);
            }
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
        ConsistencyScope scope = current();
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
     * Advances the scope open on this thread, or the thread's own for {@link #DEFAULT_WINDOW}, to the position after
     * a write that committed. Used by the routing.
     * @param position the primary's WAL position after the commit
     */
    public static void recordWrite(long position) {
        recordWrite(position, DEFAULT_WINDOW);
    }

    /**
     * Advances the scope open on this thread, or the thread's own, to the position after a write that committed.
     * Used by the routing.
     * @param position the primary's WAL position after the commit
     * @param window how long the thread's own scope lasts after this write, when no scope is open
     */
    public static void recordWrite(long position, Duration window) {
        if (position == 0) {
            return;
        }
        ConsistencyScope scope = threadScope(window);
        // a position taken after a write of unknown position is past it
        scope.unsettled = false;
        scope.advance(position);
    }

    /**
     * Tells the scope open on this thread, or the thread's own for {@link #DEFAULT_WINDOW}, that a write committed
     * or may have but its position could not be taken. Used by the routing.
     */
    public static void recordUnknownWrite() {
        recordUnknownWrite(DEFAULT_WINDOW);
    }

    /**
     * Tells the scope open on this thread, or the thread's own, that a write committed or may have but its
     * position could not be taken; its next read-your-writes read asks the primary for its position first. Used
     * by the routing.
     * @param window how long the thread's own scope lasts after this write, when no scope is open
     */
    public static void recordUnknownWrite(Duration window) {
        threadScope(window).unsettled = true;
    }

    /**
     * Whether the scope open on this thread must learn the primary's position before its next read. Used by the
     * routing.
     * @return whether a write of unknown position happened since the scope last learnt one
     */
    public static boolean isUnsettled() {
        ConsistencyScope scope = current();
        return scope != null && scope.unsettled;
    }

    /** The scope open on this thread, after forgetting the thread's own once its window has passed. */
    private static @Nullable ConsistencyScope current() {
        ConsistencyScope scope = CURRENT.get();
        if (scope != null && scope.implicit && System.nanoTime() - scope.lastWrite > scope.windowNanos) {
            CURRENT.remove();
            return null;
        }
        return scope;
    }

    private static ConsistencyScope threadScope(Duration window) {
        Objects.requireNonNull(window, "window");
        ConsistencyScope scope = current();
        if (scope == null) {
            scope = new ConsistencyScope(null, null, 0, true);
            CURRENT.set(scope);
        }
        scope.wrote(System.nanoTime(), toNanos(window));
        return scope;
    }

    private void wrote(long at, long window) {
        if (this.lastWrite == 0 || at - this.lastWrite >= 0) {
            this.lastWrite = at;
            this.windowNanos = window;
        }
    }

    private static long toNanos(Duration window) {
        try {
            return Math.max(0, window.toNanos());
        }
        catch (ArithmeticException ex) {
            return Long.MAX_VALUE;
        }
    }

}
