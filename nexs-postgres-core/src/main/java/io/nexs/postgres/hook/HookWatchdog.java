package io.nexs.postgres.hook;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Interrupts hooks that run past the timeout. Hooks run on the caller's thread, as JUnit's same-thread timeouts
 * do, so a hook call costs no hand-off to another thread and no allocation: each thread has a slot, reused for
 * every call, that one watchdog thread scans a few times per timeout.
 *
 * <p>The slot's state makes the interrupt safe: the watchdog interrupts only a thread still inside the hook
 * call it timed, and the caller, on leaving the call, waits for an interrupt under way and clears it, so it never
 * reaches the database work that follows.
 */
final class HookWatchdog implements AutoCloseable {

    // A slot's state is its call's generation times 4 plus one of these, so the watchdog, which may read a slot
    // just as its thread leaves one call and enters the next, can only ever act on the call it timed.

    private static final long IDLE = 0;

    private static final long RUNNING = 1;

    private static final long INTERRUPTING = 2;

    private static final long INTERRUPTED = 3;

    private static final long PHASE = 3;

    private final long timeoutNanos;

    private final long tickMillis;

    private final Set<Slot> slots = ConcurrentHashMap.newKeySet();

    private final ThreadLocal<Slot> current = ThreadLocal.withInitial(this::newSlot);

    private final Object lock = new Object();

    private Thread thread;

    private boolean closed;

    HookWatchdog(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.tickMillis = Math.max(1, Math.min(50, timeout.toMillis() / 4));
    }

    private Slot newSlot() {
        Slot slot = new Slot(Thread.currentThread());
        this.slots.add(slot);
        return slot;
    }

    void start() {
        synchronized (this.lock) {
            if (this.thread != null || this.closed) {
                return;
            }
            Thread watchdog = new Thread(this::watch, "nexs-postgres-hook-watchdog");
            watchdog.setDaemon(true);
            this.thread = watchdog;
            watchdog.start();
        }
    }

    /**
     * Marks the current thread as inside a hook call.
     * @return the thread's slot, to pass to {@link #exit}
     */
    Slot enter() {
        Slot slot = this.current.get();
        if (slot.depth++ > 0) {
            // a hook call made by a hook (one that runs database work, say): the outer call is still running,
            // and stays timed from its own start
            return slot;
        }
        slot.callerInterrupted = slot.thread.isInterrupted();
        slot.started = System.nanoTime();
        slot.generation += PHASE + 1;
        slot.state.set(slot.generation | RUNNING);
        return slot;
    }

    /**
     * Marks the current thread as out of the hook call.
     * @param slot the slot from {@link #enter()}
     * @return whether the watchdog interrupted the call
     */
    boolean exit(Slot slot) {
        if (--slot.depth > 0) {
            // an interrupt under way is for the outer call, which clears it when it leaves
            return false;
        }
        if (slot.state.compareAndSet(slot.generation | RUNNING, slot.generation | IDLE)) {
            return false;
        }
        while (slot.state.get() == (slot.generation | INTERRUPTING)) {
            Thread.onSpinWait();
        }
        // the interrupt was meant for the hook, not for the work that follows; one the caller had stays
        Thread.interrupted();
        if (slot.callerInterrupted) {
            slot.thread.interrupt();
        }
        slot.state.set(slot.generation | IDLE);
        return true;
    }

    private void watch() {
        while (true) {
            synchronized (this.lock) {
                if (this.closed) {
                    return;
                }
            }
            long now = System.nanoTime();
            for (Slot slot : this.slots) {
                if (!slot.thread.isAlive()) {
                    this.slots.remove(slot);
                }
                else {
                    long state = slot.state.get();
                    long generation = state & ~PHASE;
                    // started is written before the state, so it belongs to this generation or a later one,
                    // whose state change makes the exchange fail
                    if ((state & PHASE) == RUNNING && now - slot.started > this.timeoutNanos
                            && slot.state.compareAndSet(state, generation | INTERRUPTING)) {
                        slot.thread.interrupt();
                        slot.state.set(generation | INTERRUPTED);
                    }
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(this.tickMillis);
            }
            catch (InterruptedException ex) {
                return;
            }
        }
    }

    @Override
    public void close() {
        Thread watchdog;
        synchronized (this.lock) {
            this.closed = true;
            watchdog = this.thread;
        }
        if (watchdog != null) {
            watchdog.interrupt();
        }
    }

    /** One thread's record of the hook call it is in. */
    static final class Slot {

        final Thread thread;

        final AtomicLong state = new AtomicLong(IDLE);

        /** The current call's generation, a multiple of 4; only the thread itself reads and writes it. */
        long generation;

        volatile long started;

        /** Whether the thread was interrupted before the outermost call began. */
        boolean callerInterrupted;

        /** How many hook calls the thread is inside; only the thread itself reads and writes it. */
        int depth;

        Slot(Thread thread) {
            this.thread = thread;
        }

    }

}
