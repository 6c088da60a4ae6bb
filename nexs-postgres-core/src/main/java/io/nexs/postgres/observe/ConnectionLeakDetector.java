package io.nexs.postgres.observe;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolListener;

/**
 * Keeps, for every connection borrowed from a node's pool, who borrowed it and where, so that one held longer than
 * the threshold can be reported with the borrower's stack trace. Recording the stack costs a few microseconds per
 * borrow, which is why the threshold is off unless set.
 *
 * <p>A borrow is matched with its return on the same thread, last borrowed first returned, as JDBC code does; a
 * connection returned by another thread is taken for the oldest borrow of its pool.
 */
public class ConnectionLeakDetector implements PoolListener {

    private final Duration threshold;

    private final Set<Borrow> open = ConcurrentHashMap.newKeySet();

    private final ThreadLocal<Deque<Borrow>> borrowed = ThreadLocal.withInitial(ConcurrentLinkedDeque::new);

    /**
     * Creates a detector.
     * @param threshold how long a connection may be held before it counts as leaked
     */
    public ConnectionLeakDetector(Duration threshold) {
        this.threshold = threshold;
    }

    @Override
    public void acquired(NodePool pool, long waitNanos) {
        Deque<Borrow> mine = this.borrowed.get();
        Borrow borrow = new Borrow(pool.name(), Thread.currentThread().getName(), System.nanoTime(),
                new Throwable("borrowed here"), mine);
        mine.push(borrow);
        this.open.add(borrow);
    }

    @Override
    public void released(NodePool pool, long heldMillis) {
        Deque<Borrow> mine = this.borrowed.get();
        for (var iterator = mine.iterator(); iterator.hasNext();) {
            Borrow borrow = iterator.next();
            if (borrow.node.equals(pool.name())) {
                iterator.remove();
                this.open.remove(borrow);
                return;
            }
        }
        // returned by another thread than the one that borrowed it: the oldest borrow of that pool is the likeliest
        Borrow oldest = null;
        for (Borrow borrow : this.open) {
            if (borrow.node.equals(pool.name()) && (oldest == null || borrow.startNanos < oldest.startNanos)) {
                oldest = borrow;
            }
        }
        if (oldest != null && this.open.remove(oldest)) {
            oldest.owner.remove(oldest);
        }
    }

    /**
     * The borrows held past the threshold that were not reported before; each is returned once.
     * @return the new leaks
     */
    List<Leak> newLeaks() {
        long now = System.nanoTime();
        List<Leak> leaks = new ArrayList<>();
        for (Borrow borrow : this.open) {
            long held = now - borrow.startNanos;
            if (!borrow.reported && held > this.threshold.toNanos()) {
                borrow.reported = true;
                leaks.add(new Leak(borrow.node, borrow.thread, Duration.ofNanos(held), stackOf(borrow.where)));
            }
        }
        return leaks;
    }

    /**
     * How many connections are borrowed now, as far as this detector saw.
     * @return the count
     */
    public int borrowedNow() {
        return this.open.size();
    }

    private static String stackOf(Throwable where) {
        StringWriter text = new StringWriter();
        where.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    /** A connection held too long. */
    record Leak(String node, String thread, Duration held, String stackTrace) {
    }

    private static final class Borrow {

        final String node;

        final String thread;

        final long startNanos;

        final Throwable where;

        /** The borrowing thread's stack of borrows. */
        final Deque<Borrow> owner;

        volatile boolean reported;

        Borrow(String node, String thread, long startNanos, Throwable where, Deque<Borrow> owner) {
            this.node = node;
            this.thread = thread;
            this.startNanos = startNanos;
            this.where = where;
            this.owner = owner;
        }

    }

}
