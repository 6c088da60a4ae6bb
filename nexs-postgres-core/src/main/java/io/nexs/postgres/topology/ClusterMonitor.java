package io.nexs.postgres.topology;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor loop: a thread per node that checks it at the pace the topology asks for and hands every outcome to
 * the topology, and a watchdog that notices when a check of the writable primary runs longer than a healthy server
 * takes. It decides nothing itself: the topology turns the checks into decisions. A failed check that overran its
 * timeout because this JVM stood still is not reported but run again at once ({@link PauseGuard}).
 */
final class ClusterMonitor {

    private static final Logger logger = LoggerFactory.getLogger(ClusterMonitor.class);

    /** What the loop asks of, and reports to, the topology. */
    interface Listener {

        /**
         * How long to wait before the next check of a node.
         * @param node the node
         * @return the delay
         */
        Duration nextDelay(NodeTracker node);

        /**
         * Whether the next check of a node is to be watched for a stall: it takes writes and failover is on.
         * @param node the node
         * @return whether to watch
         */
        boolean watch(NodeTracker node);

        /**
         * A check finished.
         * @param node the node
         * @param check the outcome
         * @param probe the number of the check, from {@link NodeTracker#probesStarted}
         */
        void checked(NodeTracker node, NodeCheck check, long probe);

        /**
         * A watched check has run longer than the stall threshold and has not finished.
         * @param node the node
         * @param threshold how long the check has run
         */
        void stalled(NodeTracker node, Duration threshold);

        /**
         * Whether the topology is closed, so every loop ends.
         * @return whether closed
         */
        boolean closed();

    }

    private final Listener listener;

    private final Duration checkTimeout;

    private final Duration stallThreshold;

    private final ScheduledExecutorService watchdog;

    /**
     * Creates the monitor; nothing runs before {@link #start(NodeTracker)}.
     * @param settings the check timeout and probe interval
     * @param listener the topology
     */
    ClusterMonitor(TopologySettings settings, Listener listener) {
        this.listener = listener;
        this.checkTimeout = settings.checkTimeout();
        // a healthy server answers in a millisecond or two; a quarter of the check timeout is long
        this.stallThreshold = Duration.ofNanos(
                Math.max(settings.probeInterval().toNanos(), settings.checkTimeout().toNanos() / 4));
        ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1, (task) -> {
            Thread thread = new Thread(task, "nexs-postgres-topology-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.setRemoveOnCancelPolicy(true);
        this.watchdog = watchdog;
    }

    /**
     * Checks a node once on the caller's thread, before its loop starts.
     * @param node the node
     * @return the outcome
     */
    NodeCheck checkNow(NodeTracker node) {
        return node.probe.check(this.checkTimeout);
    }

    /**
     * Starts the loop of a node.
     * @param node the node
     */
    void start(NodeTracker node) {
        Thread thread = new Thread(() -> loop(node), "nexs-postgres-monitor-" + node.name());
        thread.setDaemon(true);
        node.monitorThread = thread;
        thread.start();
    }

    /**
     * Ends the loop of a node and waits a while for its check under way.
     * @param node the node
     */
    void stop(NodeTracker node) {
        node.monitored = false;
        wake(node);
        Thread thread = node.monitorThread;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(this.checkTimeout.toMillis() * 2 + 1000);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Has a node checked now rather than at its next turn.
     * @param node the node
     */
    static void wake(NodeTracker node) {
        synchronized (node.monitorLock) {
            node.wakeRequested = true;
            node.monitorLock.notifyAll();
        }
    }

    /**
     * How long a check of the primary may run before it counts as stalled.
     * @return the threshold
     */
    Duration stallThreshold() {
        return this.stallThreshold;
    }

    /** Stops the watchdog; the loops end by {@link #stop(NodeTracker)} or when the topology closes. */
    void close() {
        this.watchdog.shutdownNow();
    }

    private void loop(NodeTracker node) {
        PauseGuard pauses = new PauseGuard(this.checkTimeout);
        while (running(node)) {
            if (!awaitTurn(node) || !running(node)) {
                break;
            }
            ScheduledFuture<?> watch = null;
            if (this.listener.watch(node)) {
                watch = this.watchdog.schedule(() -> this.listener.stalled(node, this.stallThreshold),
                        this.stallThreshold.toNanos(), TimeUnit.NANOSECONDS);
            }
            long probe = ++node.probesStarted;
            try {
                long started = System.nanoTime();
                NodeCheck check = node.probe.check(this.checkTimeout);
                if (pauses.setAside(check.ok(), System.nanoTime() - started)) {
                    logger.info("A check of PostgreSQL node {} failed after this JVM stood still for part of it (a "
                            + "long pause or a starved CPU); checking again at once: {}", node.name(), check.error());
                    wake(node);
                    continue;
                }
                this.listener.checked(node, check, probe);
            }
            catch (RuntimeException ex) {
                logger.error("The monitor of PostgreSQL node {} failed; it carries on", node.name(), ex);
            }
            finally {
                if (watch != null) {
                    watch.cancel(false);
                }
            }
        }
        node.probe.close();
    }

    private boolean running(NodeTracker node) {
        return node.monitored && !this.listener.closed();
    }

    /** Waits for the node's next turn or a wake-up; false when interrupted. */
    private boolean awaitTurn(NodeTracker node) {
        long delay = this.listener.nextDelay(node).toNanos();
        synchronized (node.monitorLock) {
            long deadline = System.nanoTime() + delay;
            try {
                while (!node.wakeRequested && running(node)) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(node.monitorLock, remaining);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
            node.wakeRequested = false;
        }
        return true;
    }

    /**
     * Tells a failed check that says something about the server from one that failed because this JVM stood still
     * while it ran. A check's timeout is measured on this side: when the process is frozen (a long stop-the-world
     * pause, a stopped or starved process), a timer may run out on waking although the server answered in time, or
     * a connection attempt is given up before its answer is read. Such a check takes far longer than its timeout,
     * which a server that merely does not answer never makes it do, so it is set aside and the node checked again at
     * once with a fresh deadline. Only one failed check in a row is set aside, so a process that stays starved
     * still finds a dead server, one check later.
     */
    static final class PauseGuard {

        private final long limitNanos;

        private boolean setAside;

        /**
         * Creates the guard of one node's checks.
         * @param timeout the check timeout; a failed check that took half as long again is set aside
         */
        PauseGuard(Duration timeout) {
            this.limitNanos = timeout.toNanos() + timeout.toNanos() / 2;
        }

        /**
         * Whether a check's outcome is to be set aside rather than counted.
         * @param ok whether the check passed
         * @param tookNanos how long the check took, as this JVM's clock saw it
         * @return {@code true} for a failed check that overran its timeout by half and follows a counted one
         */
        boolean setAside(boolean ok, long tookNanos) {
            boolean setAside = !ok && tookNanos > this.limitNanos && !this.setAside;
            this.setAside = setAside;
            return setAside;
        }

    }

}
