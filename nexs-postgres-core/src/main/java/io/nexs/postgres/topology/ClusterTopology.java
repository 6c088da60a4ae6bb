package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolListener;
import io.nexs.postgres.pool.NodePoolCustomizer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes of a PostgreSQL cluster (a primary and its streaming replicas), one pool each, watched by a monitor
 * that decides where writes and reads go.
 *
 * <p>Every node has a monitor thread of its own that checks it every {@code checkInterval} on a connection of
 * its own, each check bounded by {@code checkTimeout}: reachable, role ({@code pg_is_in_recovery()}), timeline,
 * replay lag and latency. After {@code failureThreshold} failed checks in a row the node is unhealthy and (with
 * failover enabled) its pool's connections are aborted, so borrowers blocked on a dead or hung server fail at
 * once; so are those of a primary that writes leave for another node. While writes wait for a primary, while the
 * primary fails its checks or takes longer than a quarter of the check timeout to answer one, nodes are checked
 * every {@code probeInterval} instead, so a promoted replica takes writes a few tens of milliseconds after the
 * promotion. A node that failed a check, or is recovering, is also checked at that pace.
 *
 * <p>Writes go to the one healthy node that reports itself primary. When several do (split-brain), writes go to
 * the one on the newest timeline if it is alone there, otherwise to none; a node reporting primary on an older
 * timeline than any primary seen before is never used again until it comes back as a replica. Nothing here
 * promotes a node: promotion belongs to the cluster manager.
 *
 * <p>Thread-safe. {@link #close()} stops the monitors and drains the pools.
 */
public final class ClusterTopology implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ClusterTopology.class);

    /** Borrowing is done in slices, so that a borrower waiting on a node that fails is re-routed. */
    private static final long BORROW_SLICE_MILLIS = 250;

    private final TopologySettings settings;

    private final List<NodePoolCustomizer> customizers;

    private final Object lock = new Object();

    private volatile List<ClusterNode> nodes;

    private volatile Routes routes = Routes.NONE;

    private final AtomicInteger turn = new AtomicInteger();

    private final List<Consumer<? super TopologyEvent>> listeners = new CopyOnWriteArrayList<>();

    private final ExecutorService events;

    /** Notices checks of the primary that take too long. */
    private final ScheduledExecutorService watchdog;

    private final Election election;

    /** Guarded by {@link #lock}: what the last decision left for the next. */
    private Election.Memory memory = Election.Memory.NONE;

    /** Guarded by {@link #lock}: where the writable primary's WAL was when, to tell replicas' lag. */
    private final PrimaryPositions positions = new PrimaryPositions();

    /** Written under {@link #lock}; read by the monitors without it. */
    private volatile int writeWaiters;

    /** Guarded by {@link #lock}: the last node that took writes. */
    private @Nullable ClusterNode lastPrimary;

    /** Guarded by {@link #lock}: when writes last lost their primary. */
    private @Nullable Instant primaryLostAt;

    /** Guarded by {@link #lock}: the split-brain reported last, to report each once. */
    private @Nullable List<String> reportedSplitBrain;

    /** Guarded by {@link #lock}: nodes seen claiming primary together, with their check counts then. */
    private @Nullable Map<ClusterNode, Long> suspectedSplitBrain;

    private volatile boolean started;

    private volatile @Nullable PoolListener poolListener;

    private final List<PoolListener> poolListeners = new CopyOnWriteArrayList<>();

    private volatile boolean closed;

    /**
     * Creates the pools of the nodes; nothing connects before {@link #start()}.
     * @param definitions the nodes, at least one, with distinct names
     * @param settings routing and monitoring settings
     * @param customizers callbacks applied to every pool's HikariCP configuration
     */
    public ClusterTopology(List<NodeDefinition> definitions, TopologySettings settings,
            List<NodePoolCustomizer> customizers) {
        if (definitions.isEmpty()) {
            throw new IllegalArgumentException("A topology needs at least one node");
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        this.election = Election.of(settings);
        this.customizers = List.copyOf(customizers);
        List<ClusterNode> created = new ArrayList<>();
        for (NodeDefinition definition : definitions) {
            if (created.stream().anyMatch((node) -> node.name().equals(definition.name()))) {
                created.forEach((node) -> node.pool().close());
                throw new IllegalArgumentException("Two nodes are named " + definition.name());
            }
            created.add(newNode(definition));
        }
        this.nodes = List.copyOf(created);
        this.events = Executors.newSingleThreadExecutor((task) -> {
            Thread thread = new Thread(task, "nexs-postgres-topology-events");
            thread.setDaemon(true);
            return thread;
        });
        ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1, (task) -> {
            Thread thread = new Thread(task, "nexs-postgres-topology-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.setRemoveOnCancelPolicy(true);
        this.watchdog = watchdog;
    }

    private ClusterNode newNode(NodeDefinition definition) {
        NodePool pool = new NodePool(definition.name(), definition.connection(), definition.pool(), this.customizers);
        pool.setListener(this.poolListener);
        return new ClusterNode(definition, pool);
    }

    /**
     * Sets who is told of every borrow and return, on every node's pool, including nodes added later.
     * @param listener the listener, or {@code null} for nobody
     */
    public void setPoolListener(@Nullable PoolListener listener) {
        this.poolListeners.clear();
        if (listener != null) {
            this.poolListeners.add(listener);
        }
        applyPoolListeners();
    }

    /**
     * Adds one more listener told of every borrow and return, on every node's pool, including nodes added later.
     * @param listener the listener
     */
    public void addPoolListener(PoolListener listener) {
        this.poolListeners.add(listener);
        applyPoolListeners();
    }

    private void applyPoolListeners() {
        List<PoolListener> listeners = List.copyOf(this.poolListeners);
        PoolListener listener = switch (listeners.size()) {
            case 0 -> null;
            case 1 -> listeners.get(0);
            default -> new PoolListener() {
                @Override
                public void acquired(NodePool pool, long waitNanos) {
                    for (PoolListener each : listeners) {
                        each.acquired(pool, waitNanos);
                    }
                }

                @Override
                public void released(NodePool pool, long heldMillis) {
                    for (PoolListener each : listeners) {
                        each.released(pool, heldMillis);
                    }
                }
            };
        };
        this.poolListener = listener;
        for (ClusterNode node : this.nodes) {
            node.pool().setListener(listener);
        }
    }

    /**
     * The node a pooled connection belongs to.
     * @param connection a connection borrowed from one of the nodes, possibly wrapped by Spring's proxies
     * @return the node, or empty when it is not one of theirs
     */
    public Optional<ClusterNode> nodeOf(Connection connection) {
        for (ClusterNode node : this.nodes) {
            if (node.pool().owns(connection)) {
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    /**
     * Warms up every node at once, checks each, then starts the monitors. Start-up fails only when no node can be
     * reached and the first node's pool settings ask to fail fast; unreachable replicas and a missing primary are
     * logged and left to the monitor.
     * @throws NodeUnavailableException when no node can be reached and fail-fast is set
     */
    public void start() {
        List<ClusterNode> all = this.nodes;
        List<NodeUnavailableException> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> warmUps = new ArrayList<>();
        for (ClusterNode node : all) {
            Thread thread = new Thread(() -> {
                try {
                    if (node.pool().settings().warmUp()) {
                        node.pool().warmUp();
                    }
                }
                catch (SQLException ex) {
                    failures.add(new NodeUnavailableException(node.address(), ex.getMessage(),
                            (ex.getCause() != null) ? ex.getCause() : ex));
                }
                onCheck(node, node.probe(this.settings.checkTimeout()), true);
            }, "nexs-postgres-warm-up-" + node.name());
            thread.setDaemon(true);
            thread.start();
            warmUps.add(thread);
        }
        try {
            for (Thread thread : warmUps) {
                thread.join();
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("Interrupted while warming up the PostgreSQL nodes", ex);
        }
        synchronized (this.lock) {
            // the replicas may have been checked before the primary: tell their lag now
            long now = System.nanoTime();
            for (ClusterNode node : all) {
                if (node.role == NodeRole.REPLICA) {
                    node.lagNanos = this.positions.lagNanos(node.lsn, now);
                }
            }
        }
        boolean anyHealthy = all.stream().anyMatch((node) -> node.state == NodeState.HEALTHY);
        if (!anyHealthy && !failures.isEmpty() && all.get(0).pool().settings().failFast()) {
            NodeUnavailableException first = failures.get(0);
            failures.stream().skip(1).forEach(first::addSuppressed);
            close();
            throw first;
        }
        for (NodeUnavailableException failure : failures) {
            logger.warn("Starting without PostgreSQL node {}; the monitor keeps checking it: {}",
                    failure.getAddress(), failure.getMessage());
        }
        Routes current = this.routes;
        if (current.primary == null) {
            logger.warn("No PostgreSQL node can take writes yet ({}); writes wait up to {} for one", describe(all),
                    this.settings.writeWaitTimeout());
        }
        else {
            logger.info("PostgreSQL topology: {}", describe(all));
        }
        this.started = true;
        all.forEach(this::startMonitor);
    }

    private void startMonitor(ClusterNode node) {
        Thread thread = new Thread(() -> monitor(node), "nexs-postgres-monitor-" + node.name());
        thread.setDaemon(true);
        node.monitorThread = thread;
        thread.start();
    }

    // ------------------------------------------------------------------------------------------------ routing

    /**
     * Borrows a connection from the primary, waiting up to the write-wait timeout for a node that reports itself
     * primary and up to the pool's connection timeout for a free connection.
     * @return a connection to the writable primary, to be closed by the caller
     * @throws SQLException when the pool has no connection in time
     * @throws FailoverInProgressException when no primary appears in time
     */
    public Connection primaryConnection() throws SQLException {
        long waitDeadline = System.nanoTime() + this.settings.writeWaitTimeout().toNanos();
        ClusterNode current = null;
        long borrowDeadline = 0;
        while (true) {
            ClusterNode node = awaitPrimary(waitDeadline);
            if (node != current) {
                // the pool's connection timeout counts from when a primary is known, not from the wait for one
                current = node;
                borrowDeadline = System.nanoTime() + node.pool().settings().connectionTimeout().toNanos();
            }
            Connection connection;
            try {
                connection = node.pool().borrow(slice(borrowDeadline));
            }
            catch (SQLException ex) {
                if (this.closed || Thread.currentThread().isInterrupted()
                        || (this.routes.primary == node && System.nanoTime() - borrowDeadline >= 0)) {
                    throw ex;
                }
                // the node failed or a slice ran out: route again
                continue;
            }
            if (this.routes.primary == node) {
                return connection;
            }
            // writes left the node while the borrow waited
            connection.close();
        }
    }

    /**
     * Borrows a connection for reading under a read preference; when the preference falls back to the primary
     * this waits as {@link #primaryConnection()} does. The connection is marked read-only, so a transaction
     * begun on it is {@code READ ONLY} even on the primary.
     * @param preference which nodes may serve the read
     * @return the connection, to be closed by the caller
     * @throws SQLException when the pool has no connection in time
     * @throws ReplicaUnavailableException for {@link ReadPreference#SECONDARY} when no replica qualifies
     * @throws FailoverInProgressException when the read falls back to the primary and none appears in time
     */
    public Connection readConnection(ReadPreference preference) throws SQLException {
        long start = System.nanoTime();
        while (true) {
            ClusterNode node = selectReader(preference);
            Connection connection;
            if (node == null) {
                connection = primaryConnection();
            }
            else {
                long borrowDeadline = start + node.pool().settings().connectionTimeout().toNanos();
                try {
                    connection = node.pool().borrow(slice(borrowDeadline));
                }
                catch (SQLException ex) {
                    if (this.closed || Thread.currentThread().isInterrupted()
                            || System.nanoTime() - borrowDeadline >= 0) {
                        throw ex;
                    }
                    continue;
                }
            }
            try {
                connection.setReadOnly(true);
            }
            catch (SQLException ex) {
                connection.close();
                throw ex;
            }
            return connection;
        }
    }

    private static long slice(long deadline) {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return Math.max(1, Math.min(BORROW_SLICE_MILLIS, remaining));
    }

    /**
     * The node a read would go to now, without borrowing.
     * @param preference the read preference
     * @return the node, or {@code null} when the read goes to the primary
     * @throws ReplicaUnavailableException for {@link ReadPreference#SECONDARY} when no replica qualifies
     */
    @Nullable ClusterNode selectReader(ReadPreference preference) {
        Routes current = this.routes;
        return switch (preference) {
            case PRIMARY -> null;
            case SECONDARY -> {
                if (current.replicas.length == 0) {
                    throw new ReplicaUnavailableException("No replica can serve a read with read preference "
                            + "secondary: " + describe(this.nodes));
                }
                yield balance(current.replicas);
            }
            case SECONDARY_PREFERRED -> (current.replicas.length == 0) ? null : balance(current.replicas);
            case NEAREST -> {
                ClusterNode[] candidates = nearest(current);
                yield (candidates.length == 0) ? null : balance(candidates);
            }
        };
    }

    private ClusterNode[] nearest(Routes current) {
        List<ClusterNode> candidates = new ArrayList<>(current.replicas.length + 1);
        if (current.primary != null) {
            candidates.add(current.primary);
        }
        Collections.addAll(candidates, current.replicas);
        long fastest = candidates.stream().mapToLong((node) -> node.latencyNanos).filter((nanos) -> nanos >= 0)
            .min().orElse(-1);
        if (fastest < 0) {
            return candidates.toArray(ClusterNode[]::new);
        }
        long limit = fastest + this.settings.latencyWindow().toNanos();
        return candidates.stream().filter((node) -> node.latencyNanos <= limit).toArray(ClusterNode[]::new);
    }

    private ClusterNode balance(ClusterNode[] candidates) {
        if (candidates.length == 1) {
            return candidates[0];
        }
        return switch (this.settings.loadBalancing()) {
            case ROUND_ROBIN -> candidates[Math.floorMod(this.turn.getAndIncrement(), candidates.length)];
            case RANDOM -> candidates[ThreadLocalRandom.current().nextInt(candidates.length)];
            case WEIGHTED -> weighted(candidates);
            case LATENCY -> {
                ClusterNode best = candidates[0];
                for (ClusterNode candidate : candidates) {
                    if (candidate.latencyNanos >= 0
                            && (best.latencyNanos < 0 || candidate.latencyNanos < best.latencyNanos)) {
                        best = candidate;
                    }
                }
                yield best;
            }
        };
    }

    private static ClusterNode weighted(ClusterNode[] candidates) {
        int total = 0;
        for (ClusterNode candidate : candidates) {
            total += candidate.definition().weight();
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (ClusterNode candidate : candidates) {
            pick -= candidate.definition().weight();
            if (pick < 0) {
                return candidate;
            }
        }
        return candidates[candidates.length - 1];
    }

    private ClusterNode awaitPrimary(long deadline) {
        ClusterNode primary = this.routes.primary;
        if (primary != null) {
            return primary;
        }
        if (!this.settings.failoverEnabled() || this.closed) {
            throw noPrimary(Duration.ZERO);
        }
        long start = System.nanoTime();
        synchronized (this.lock) {
            this.writeWaiters++;
            try {
                if (this.writeWaiters == 1) {
                    this.nodes.forEach(ClusterTopology::wake);
                }
                while ((primary = this.routes.primary) == null) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0 || this.closed) {
                        throw noPrimary(Duration.ofNanos(System.nanoTime() - start));
                    }
                    TimeUnit.NANOSECONDS.timedWait(this.lock, remaining);
                }
                return primary;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new FailoverInProgressException("Interrupted while waiting for a PostgreSQL primary", ex);
            }
            finally {
                this.writeWaiters--;
            }
        }
    }

    private FailoverInProgressException noPrimary(Duration waited) {
        Routes current = this.routes;
        String why = current.splitBrain ? "several nodes claim to be primary (split-brain)"
                : "no healthy node reports itself primary";
        String waitedText = waited.isZero() ? "" : " after waiting " + waited.toMillis() + " ms";
        return new FailoverInProgressException("No PostgreSQL primary can take writes" + waitedText + ": " + why
                + " (failover in progress?). Nodes: " + describe(this.nodes), null);
    }

    /**
     * Tells the monitor that a borrower lost its connection, so the node is checked now rather than at its next
     * turn.
     * @param statement a statement of the connection that failed
     * @return the node it belongs to, if known
     */
    public Optional<ClusterNode> connectionFailed(Statement statement) {
        for (ClusterNode node : this.nodes) {
            if (node.pool().owns(statement)) {
                wake(node);
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    /**
     * Waits until the monitor has made up its mind about a node a borrower reported: it failed enough checks to
     * be unhealthy, writes left it for another primary, or a check begun after the failure succeeded. Bounded by
     * the time the checks can take.
     * @param node the node
     * @return its state then
     */
    public NodeState awaitVerdict(ClusterNode node) {
        // only a check begun after the failure tells: one already under way may have passed just before it
        long firstTelling = node.probesStarted + 1;
        long budget = (this.settings.checkTimeout().toNanos() + this.settings.probeInterval().toNanos())
                * (this.settings.failureThreshold() + 1);
        long deadline = System.nanoTime() + budget;
        synchronized (this.lock) {
            try {
                // a primary that writes have left is a verdict too: the caller must not wait for its checks
                while (node.state == NodeState.HEALTHY && !(node.role == NodeRole.PRIMARY && !node.writable)
                        && !(node.lastProbeCompleted >= firstTelling && node.failures == 0) && !this.closed) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this.lock, remaining);
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        return node.state;
    }

    // ----------------------------------------------------------------------------------------------- monitor

    private void monitor(ClusterNode node) {
        while (node.monitored && !this.closed) {
            long delay = nextDelay(node).toNanos();
            synchronized (node.monitorLock) {
                long deadline = System.nanoTime() + delay;
                try {
                    while (!node.wakeRequested && node.monitored && !this.closed) {
                        long remaining = deadline - System.nanoTime();
                        if (remaining <= 0) {
                            break;
                        }
                        TimeUnit.NANOSECONDS.timedWait(node.monitorLock, remaining);
                    }
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
                node.wakeRequested = false;
            }
            if (!node.monitored || this.closed) {
                break;
            }
            ScheduledFuture<?> watch = null;
            if (this.routes.primary == node && this.settings.failoverEnabled()) {
                watch = this.watchdog.schedule(() -> primaryStalled(node), stallThresholdNanos(),
                        TimeUnit.NANOSECONDS);
            }
            long probe = ++node.probesStarted;
            try {
                onCheck(node, node.probe(this.settings.checkTimeout()), false);
                node.lastProbeCompleted = probe;
                synchronized (this.lock) {
                    this.lock.notifyAll();
                }
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
        node.closeCheckConnection();
    }

    /**
     * A check of the primary has been running longer than a quarter of the check timeout (a healthy server
     * answers in a millisecond or two): the primary may be hung, and the cluster manager may be promoting another
     * node, so every node is checked every probe interval until the primary answers again.
     */
    private void primaryStalled(ClusterNode node) {
        if (this.routes.primary != node || node.stalled) {
            return;
        }
        node.stalled = true;
        if (node.troubleSince == 0) {
            node.troubleSince = System.nanoTime();
        }
        logger.info("PostgreSQL primary {} has not answered a check for {} ms; checking every node every {} ms",
                node.name(), TimeUnit.NANOSECONDS.toMillis(stallThresholdNanos()),
                this.settings.probeInterval().toMillis());
        this.nodes.forEach(ClusterTopology::wake);
    }

    private long stallThresholdNanos() {
        return Math.max(this.settings.probeInterval().toNanos(), this.settings.checkTimeout().toNanos() / 4);
    }

    /** Whether the writable primary is failing or slow to answer its checks. */
    private boolean primaryInDoubt() {
        ClusterNode primary = this.routes.primary;
        return primary != null && (primary.stalled || primary.failures > 0);
    }

    private Duration nextDelay(ClusterNode node) {
        boolean urgent = (this.writeWaiters > 0 || primaryInDoubt()) && this.settings.failoverEnabled();
        boolean confirming = node.failures > 0 && node.state == NodeState.HEALTHY;
        boolean recovering = node.state == NodeState.RECOVERING;
        return (urgent || confirming || recovering) ? this.settings.probeInterval() : this.settings.checkInterval();
    }

    private static void wake(ClusterNode node) {
        synchronized (node.monitorLock) {
            node.wakeRequested = true;
            node.monitorLock.notifyAll();
        }
    }

    private void onCheck(ClusterNode node, NodeCheck check, boolean initial) {
        List<TopologyEvent> published = new ArrayList<>();
        boolean abort = false;
        ClusterNode toAbort = null;
        synchronized (this.lock) {
            if (!this.nodes.contains(node)) {
                return;
            }
            NodeState previousState = node.state;
            NodeRole previousRole = node.role;
            node.lastChecked = Instant.now();
            node.checks++;
            String reason;
            if (check.ok()) {
                node.failures = 0;
                node.successes++;
                node.goodChecks++;
                node.stalled = false;
                node.troubleSince = 0;
                node.lastError = null;
                node.role = check.role();
                node.timeline = check.timeline();
                node.lsn = check.lsn();
                long now = System.nanoTime();
                if (node.role == NodeRole.PRIMARY
                        && (this.routes.primary == node || (this.routes.primary == null && !node.stale))) {
                    this.positions.record(node.lsn, now);
                }
                node.lagNanos = (node.role == NodeRole.REPLICA) ? this.positions.lagNanos(node.lsn, now) : -1;
                node.serverVersion = check.serverVersion();
                node.recordLatency(check.roundTripNanos());
                node.state = Election.verdict(previousState, true, node.successes, initial,
                        this.settings.failureThreshold());
                reason = (node.state == NodeState.HEALTHY) ? "answers again" : "answers again, recovering";
                if (previousRole == NodeRole.PRIMARY && node.role == NodeRole.REPLICA) {
                    // A demoted primary: sessions opened while it took writes must not carry on.
                    abort = true;
                    reason = "was demoted to replica";
                }
                else if (previousRole == NodeRole.REPLICA && node.role == NodeRole.PRIMARY) {
                    reason = "was promoted to primary";
                }
            }
            else {
                node.successes = 0;
                node.failures++;
                if (node.troubleSince == 0 && this.routes.primary == node) {
                    node.troubleSince = System.nanoTime();
                }
                if (node.failures == 1 && this.routes.primary == node && this.settings.failoverEnabled()) {
                    // the primary may be going: look for a promoted node everywhere, not only here
                    this.nodes.forEach(ClusterTopology::wake);
                }
                node.lastError = check.error();
                reason = "failed " + node.failures + " check(s) in a row: " + check.error();
                node.state = Election.verdict(previousState, false, node.failures, initial,
                        this.settings.failureThreshold());
                if (!initial && node.state == NodeState.UNHEALTHY && previousState != NodeState.UNHEALTHY) {
                    // its sessions may be blocked on a dead or hung server
                    abort = previousState == NodeState.HEALTHY && this.settings.failoverEnabled();
                }
                else if (!initial && node.failures == 1) {
                    logger.info("PostgreSQL node {} failed a check, checking again: {}", node.name(), check.error());
                }
            }
            if (!initial && (previousState != node.state || previousRole != node.role)) {
                published.add(new NodeStateChangedEvent(node.name(), previousState, node.state, previousRole,
                        node.role, reason, Instant.now()));
                log(node, previousState, previousRole, reason);
            }
            Election.Outcome outcome = recomputeRoutes(published, initial);
            ClusterNode displaced = (outcome.displaced() != null) ? find(outcome.displaced()) : null;
            if (outcome.fenceDisplaced() && displaced != null && displaced != node) {
                // Writes moved away from a node that still answers (a newer primary appeared, or both claim to
                // be primary): its sessions must not carry on writing there.
                toAbort = displaced;
            }
            // wakes awaitVerdict as well as writers waiting for a primary
            this.lock.notifyAll();
            // queued under the lock, so listeners see the events of all monitors in the order they happened
            publish(published);
        }
        if (abort) {
            node.pool().abortConnections();
        }
        if (toAbort != null) {
            logger.warn("Writes left PostgreSQL node {}; closing its connections", toAbort.name());
            toAbort.pool().abortConnections();
        }
    }

    private void log(ClusterNode node, NodeState previousState, NodeRole previousRole, String reason) {
        String change = "PostgreSQL node {} is now {} ({}; was {} {}): {}";
        if (node.state == NodeState.UNHEALTHY) {
            logger.warn(change, node.name(), node.state.label(), node.role.label(), previousState.label(),
                    previousRole.label(), reason);
        }
        else {
            logger.info(change, node.name(), node.state.label(), node.role.label(), previousState.label(),
                    previousRole.label(), reason);
        }
    }

    /**
     * Decides the writable primary and the readable replicas; called with {@link #lock} held.
     * @return the node that took writes until now and no longer does, or {@code null}
     */
    private Election.Outcome recomputeRoutes(List<TopologyEvent> published, boolean initial) {
        List<ClusterNode> all = this.nodes;
        ClusterNode previous = this.routes.primary;
        Election.Outcome outcome = this.election.decide(candidates(all), this.memory);
        this.memory = outcome.memory();
        for (ClusterNode node : all) {
            node.stale = outcome.stale().contains(node.name());
        }
        ClusterNode primary = (outcome.primary() != null) ? find(outcome.primary()) : null;
        List<ClusterNode> primaries = outcome.primaries().stream().map(this::find).toList();
        boolean splitBrain = primaries.size() > 1;
        if (splitBrain) {
            reportSplitBrain(primaries, primary, published);
        }
        else {
            this.reportedSplitBrain = null;
            this.suspectedSplitBrain = null;
        }
        for (ClusterNode node : all) {
            node.writable = node == primary;
        }
        ClusterNode[] replicas = outcome.readable().stream().map(this::find).toArray(ClusterNode[]::new);
        this.routes = new Routes(primary, replicas, splitBrain);
        if (primary != previous) {
            Instant now = Instant.now();
            if (primary == null) {
                this.primaryLostAt = now;
                if (!initial && previous != null) {
                    logger.warn("PostgreSQL primary {} can no longer take writes; writes wait up to {} for a new "
                            + "primary", previous.name(), this.settings.writeWaitTimeout());
                }
            }
            else {
                Duration unavailable = (this.primaryLostAt != null) ? Duration.between(this.primaryLostAt, now)
                        : Duration.ZERO;
                ClusterNode before = this.lastPrimary;
                if (before != null && before.troubleSince != 0) {
                    // writes were stuck on the old primary before it was given up
                    Duration stuck = Duration.ofNanos(System.nanoTime() - before.troubleSince);
                    unavailable = (stuck.compareTo(unavailable) > 0) ? stuck : unavailable;
                }
                if (!initial && before != primary) {
                    logger.warn("PostgreSQL failover: writes go to {} (timeline {}) instead of {}; no primary for "
                            + "{} ms", primary.name(), primary.timeline, (before != null) ? before.name() : "none",
                            unavailable.toMillis());
                    published.add(new FailoverEvent((before != null) ? before.name() : null, primary.name(),
                            primary.timeline, unavailable, now));
                }
                this.lastPrimary = primary;
                this.primaryLostAt = null;
            }
            this.lock.notifyAll();
        }
        return outcome;
    }

    private static List<Election.Candidate> candidates(List<ClusterNode> nodes) {
        List<Election.Candidate> candidates = new ArrayList<>(nodes.size());
        for (ClusterNode node : nodes) {
            candidates.add(new Election.Candidate(node.name(), node.state, node.role, node.timeline, node.lagNanos));
        }
        return candidates;
    }

    /** The node of that name among the current ones, or {@code null} when it was removed. */
    private @Nullable ClusterNode find(String name) {
        for (ClusterNode node : this.nodes) {
            if (node.name().equals(name)) {
                return node;
            }
        }
        return null;
    }

    /**
     * Reports a split-brain once every node involved has answered a check after it was first seen: a
     * primary that was just killed still counts as healthy until its next check, which must not raise an alarm
     * during an ordinary failover. Routing does not wait for this; it is already safe.
     */
    private void reportSplitBrain(List<ClusterNode> primaries, @Nullable ClusterNode writable,
            List<TopologyEvent> published) {
        List<String> names = primaries.stream().map(ClusterNode::name).sorted().toList();
        if (names.equals(this.reportedSplitBrain)) {
            return;
        }
        Map<ClusterNode, Long> suspected = this.suspectedSplitBrain;
        if (suspected == null || !suspected.keySet().equals(Set.copyOf(primaries))) {
            Map<ClusterNode, Long> checks = new HashMap<>();
            primaries.forEach((node) -> checks.put(node, node.goodChecks));
            this.suspectedSplitBrain = checks;
            primaries.forEach(ClusterTopology::wake);
            return;
        }
        if (suspected.entrySet().stream().anyMatch((entry) -> entry.getKey().goodChecks <= entry.getValue())) {
            return;
        }
        this.reportedSplitBrain = names;
        String writableName = (writable != null) ? writable.name() : null;
        logger.error("Split-brain: PostgreSQL nodes {} all report primary. Writes go to {}. The cluster manager "
                + "must demote the others.", names, (writable != null)
                        ? writableName + " (newest timeline " + writable.timeline + ")"
                        : "none of them until only one remains");
        published.add(new SplitBrainEvent(names, writableName, Instant.now()));
    }

    private void publish(List<TopologyEvent> published) {
        if (published.isEmpty() || this.listeners.isEmpty()) {
            return;
        }
        this.events.execute(() -> {
            for (TopologyEvent event : published) {
                for (Consumer<? super TopologyEvent> listener : this.listeners) {
                    try {
                        listener.accept(event);
                    }
                    catch (RuntimeException ex) {
                        logger.warn("A topology event listener failed on {}", event, ex);
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ administration

    /**
     * Receives every {@link TopologyEvent}, in order, on a thread of the topology's own; a listener must return
     * quickly and must not throw.
     * @param listener the listener
     */
    public void addListener(Consumer<? super TopologyEvent> listener) {
        this.listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Takes a node out of service: no new borrowers, connections already borrowed carry on. Putting the primary in
     * maintenance makes writes wait for another primary.
     * @param name the node's name
     */
    public void maintenance(String name) {
        ClusterNode node = node(name);
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            NodeState previous = node.state;
            if (previous != NodeState.MAINTENANCE) {
                node.state = NodeState.MAINTENANCE;
                published.add(new NodeStateChangedEvent(node.name(), previous, NodeState.MAINTENANCE, node.role,
                        node.role, "put in maintenance", Instant.now()));
                logger.info("PostgreSQL node {} is in maintenance", node.name());
                recomputeRoutes(published, false);
            }
        }
        publish(published);
    }

    /**
     * Puts a node in {@link #maintenance(String) maintenance} and waits for its borrowed connections to come
     * back.
     * @param name the node's name
     * @param timeout the most to wait
     * @return whether no connection was borrowed any more at the end
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean drain(String name, Duration timeout) throws InterruptedException {
        ClusterNode node = node(name);
        maintenance(name);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (node.pool().stats().active() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Ends a node's maintenance: it takes work again at once if its last check succeeded, otherwise once it
     * recovers.
     * @param name the node's name
     */
    public void resume(String name) {
        ClusterNode node = node(name);
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            if (node.state == NodeState.MAINTENANCE) {
                node.state = (node.failures == 0 && node.lastChecked != null) ? NodeState.HEALTHY
                        : NodeState.UNHEALTHY;
                published.add(new NodeStateChangedEvent(node.name(), NodeState.MAINTENANCE, node.state, node.role,
                        node.role, "resumed from maintenance", Instant.now()));
                logger.info("PostgreSQL node {} is back from maintenance: {}", node.name(), node.state.label());
                recomputeRoutes(published, false);
            }
        }
        wake(node);
        publish(published);
    }

    /**
     * Adds a node at run time: its pool is opened, it is checked once and then monitored like the others.
     * @param definition the node
     * @return the node
     * @throws IllegalArgumentException when a node of that name exists
     */
    public ClusterNode addNode(NodeDefinition definition) {
        if (this.closed) {
            throw new IllegalStateException("The topology is closed");
        }
        // The pool (and the customizers) are built outside the lock, which the monitors need.
        ClusterNode node = newNode(definition);
        synchronized (this.lock) {
            if (this.nodes.stream().anyMatch((existing) -> existing.name().equals(definition.name()))) {
                node.pool().close();
                throw new IllegalArgumentException("A node named " + definition.name() + " exists already");
            }
            List<ClusterNode> updated = new ArrayList<>(this.nodes);
            updated.add(node);
            this.nodes = List.copyOf(updated);
        }
        onCheck(node, node.probe(this.settings.checkTimeout()), true);
        logger.info("Added PostgreSQL node {}: {} {}", node.name(), node.state.label(), node.role.label());
        if (this.started) {
            startMonitor(node);
        }
        return node;
    }

    /**
     * Removes a node at run time: no new borrowers, borrowed connections get the pool's shutdown timeout to come
     * back, then the pool is closed.
     * @param name the node's name
     * @throws IllegalArgumentException when no node has that name
     */
    public void removeNode(String name) {
        ClusterNode node = node(name);
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            List<ClusterNode> updated = new ArrayList<>(this.nodes);
            updated.remove(node);
            this.nodes = List.copyOf(updated);
            // a timeline only the removed node had reached must not keep the others stale
            this.memory = new Election.Memory(Election.newestPrimaryTimeline(candidates(updated)),
                    this.memory.pinnedPrimary(), this.memory.primary());
            recomputeRoutes(published, false);
        }
        publish(published);
        stopMonitor(node);
        node.pool().close();
        logger.info("Removed PostgreSQL node {}", name);
    }

    private void stopMonitor(ClusterNode node) {
        node.monitored = false;
        wake(node);
        Thread thread = node.monitorThread;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(this.settings.checkTimeout().toMillis() * 2 + 1000);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- views

    /**
     * The nodes, in configuration order (nodes added later last).
     * @return the nodes
     */
    public List<ClusterNode> nodes() {
        return this.nodes;
    }

    /**
     * The node of that name.
     * @param name the name
     * @return the node
     * @throws IllegalArgumentException when no node has that name
     */
    public ClusterNode node(String name) {
        for (ClusterNode node : this.nodes) {
            if (node.name().equals(name)) {
                return node;
            }
        }
        throw new IllegalArgumentException("No PostgreSQL node is named " + name + "; the nodes are "
                + this.nodes.stream().map(ClusterNode::name).collect(Collectors.joining(", ")));
    }

    /**
     * The node writes go to now.
     * @return the writable primary, or empty during a failover or a split-brain
     */
    public Optional<ClusterNode> primary() {
        return Optional.ofNullable(this.routes.primary);
    }

    /**
     * Whether more than one healthy node reports itself primary right now.
     * @return whether the cluster is split
     */
    public boolean isSplitBrain() {
        return this.routes.splitBrain;
    }

    /**
     * What the monitor knows about every node.
     * @return one snapshot per node, in {@link #nodes()} order
     */
    public List<NodeHealth> health() {
        ClusterNode primary = this.routes.primary;
        long primaryLsn = (primary != null) ? primary.lsn : -1;
        return this.nodes.stream().map((node) -> node.health(primaryLsn)).toList();
    }

    /**
     * The settings in force.
     * @return the settings
     */
    public TopologySettings settings() {
        return this.settings;
    }

    /**
     * Stops the monitors, then drains and closes every pool at once.
     */
    @Override
    public void close() {
        if (this.closed) {
            return;
        }
        this.closed = true;
        synchronized (this.lock) {
            this.lock.notifyAll();
        }
        List<ClusterNode> all = this.nodes;
        all.forEach(this::stopMonitor);
        List<Thread> closing = new ArrayList<>();
        for (ClusterNode node : all) {
            Thread thread = new Thread(node.pool()::close, "nexs-postgres-close-" + node.name());
            thread.start();
            closing.add(thread);
        }
        for (Thread thread : closing) {
            try {
                thread.join();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        this.events.shutdown();
        this.watchdog.shutdownNow();
    }

    private static String describe(List<ClusterNode> nodes) {
        return nodes.stream().map((node) -> node.name() + " " + node.state.label() + " " + node.role.label()
                + (node.stale ? " (stale timeline " + node.timeline + ")" : ""))
            .collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return "ClusterTopology[" + describe(this.nodes) + "]";
    }

    /** Where work goes, replaced as a whole whenever a check changes it. */
    private static final class Routes {

        static final Routes NONE = new Routes(null, new ClusterNode[0], false);

        final @Nullable ClusterNode primary;

        final ClusterNode[] replicas;

        final boolean splitBrain;

        Routes(@Nullable ClusterNode primary, ClusterNode[] replicas, boolean splitBrain) {
            this.primary = primary;
            this.replicas = replicas;
            this.splitBrain = splitBrain;
        }

    }

}
