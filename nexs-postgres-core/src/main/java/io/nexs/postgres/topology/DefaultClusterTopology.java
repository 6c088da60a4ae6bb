package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import io.nexs.postgres.consistency.ConsistencyToken;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.NodePoolCustomizer;
import io.nexs.postgres.pool.PoolListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ClusterTopology} of the library: it owns the nodes' pools, feeds the {@link ClusterMonitor}'s checks
 * to the {@link Election}, publishes the outcome as routes and {@link NodeSnapshot snapshots}, borrows connections
 * along those routes and reports what changed as {@link TopologyEvent events}.
 *
 * <p>Every node is checked every {@code checkInterval} on a connection of its own, each check bounded by
 * {@code checkTimeout}: reachable, role ({@code pg_is_in_recovery()}), timeline, replay lag (see
 * {@link PrimaryPositions}) and latency. After
 * {@code failureThreshold} failed checks in a row the node is unhealthy and (with failover enabled) its pool's
 * connections are aborted, so borrowers blocked on a dead or hung server fail at once; so are those of a primary
 * that writes leave for another node. While writes wait for a primary, while the primary fails its checks or takes
 * longer than a quarter of the check timeout to answer one, nodes are checked every {@code probeInterval} instead,
 * so a promoted replica takes writes a few tens of milliseconds after the promotion. A node that failed a check,
 * or is recovering, is also checked at that pace.
 *
 * <p>Thread-safe. {@link #close()} stops the monitor and drains the pools.
 */
public final class DefaultClusterTopology implements ClusterTopology {

    private static final Logger logger = LoggerFactory.getLogger(DefaultClusterTopology.class);

    /** Borrowing is done in slices, so that a borrower waiting on a node that fails is re-routed. */
    private static final long BORROW_SLICE_MILLIS = 250;

    private final TopologySettings settings;

    private final List<NodePoolCustomizer> customizers;

    private final Election election;

    private final ReplicaSelector selector;

    private final ClusterMonitor monitor;

    private final Object lock = new Object();

    /** Replaced whole, under {@link #lock}; read without it. */
    private volatile List<NodeTracker> trackers;

    /** The nodes of {@link #trackers}, in the same order. */
    private volatile List<ClusterNode> nodes;

    private volatile Routes routes = Routes.NONE;

    private final TopologyEvents events = new TopologyEvents();

    /** How far replicas are known to have replayed, for read-your-writes reads. */
    private final ReplayPositions replayPositions = new ReplayPositions();

    /** Guarded by {@link #lock}: what the last decision left for the next. */
    private Election.Memory memory = Election.Memory.NONE;

    /** Guarded by {@link #lock}: where the writable primary's WAL was when, to tell replicas' lag. */
    private final PrimaryPositions positions = new PrimaryPositions();

    /** Written under {@link #lock}; read by the monitor without it. */
    private volatile int writeWaiters;

    /** Guarded by {@link #lock}: the last node that took writes. */
    private @Nullable NodeTracker lastPrimary;

    /** Guarded by {@link #lock}: when writes last lost their primary. */
    private @Nullable Instant primaryLostAt;

    /** Guarded by {@link #lock}. */
    private final SplitBrainAlarm splitBrainAlarm = new SplitBrainAlarm();

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
    public DefaultClusterTopology(List<NodeDefinition> definitions, TopologySettings settings,
            List<NodePoolCustomizer> customizers) {
        if (definitions.isEmpty()) {
            throw new IllegalArgumentException("A topology needs at least one node");
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        this.customizers = List.copyOf(customizers);
        this.election = Election.of(settings);
        this.selector = settings.loadBalancing().newSelector();
        List<NodeTracker> created = new ArrayList<>();
        for (NodeDefinition definition : definitions) {
            if (created.stream().anyMatch((node) -> node.name().equals(definition.name()))) {
                created.forEach((node) -> node.pool().close());
                throw new IllegalArgumentException("Two nodes are named " + definition.name());
            }
            created.add(newNode(definition));
        }
        setTrackers(created);
        this.monitor = new ClusterMonitor(settings, new MonitorListener());
    }

    private NodeTracker newNode(NodeDefinition definition) {
        NodePool pool = new NodePool(definition.name(), definition.connection(), definition.pool(), this.customizers);
        pool.setListener(this.poolListener);
        NodeTracker node = new NodeTracker(new ClusterNode(definition, pool));
        pool.setConnectionLossListener((lost) -> connectionLost(node));
        return node;
    }

    private void setTrackers(List<NodeTracker> trackers) {
        this.trackers = List.copyOf(trackers);
        this.nodes = trackers.stream().map((tracker) -> tracker.node).toList();
    }

    @Override
    public void setPoolListener(@Nullable PoolListener listener) {
        this.poolListeners.clear();
        if (listener != null) {
            this.poolListeners.add(listener);
        }
        applyPoolListeners();
    }

    @Override
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

    @Override
    public Optional<ClusterNode> nodeOf(Connection connection) {
        for (ClusterNode node : this.nodes) {
            if (node.pool().owns(connection)) {
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    /**
     * Warms up every node at once, checks each, then starts the monitor. Start-up fails only when no node can be
     * reached and the first node's pool settings ask to fail fast; unreachable replicas and a missing primary are
     * logged and left to the monitor.
     * @throws NodeUnavailableException when no node can be reached and fail-fast is set
     */
    @Override
    public void start() {
        List<NodeTracker> all = this.trackers;
        List<NodeUnavailableException> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> warmUps = new ArrayList<>();
        for (NodeTracker node : all) {
            Thread thread = new Thread(() -> {
                try {
                    if (node.pool().settings().warmUp()) {
                        node.pool().warmUp();
                    }
                }
                catch (SQLException ex) {
                    failures.add(new NodeUnavailableException(node.node.address(), ex.getMessage(),
                            (ex.getCause() != null) ? ex.getCause() : ex));
                }
                onCheck(node, this.monitor.checkNow(node), true);
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
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            // the replicas may have been checked before the primary: tell their lag now, and decide again with it
            long now = System.nanoTime();
            for (NodeTracker node : all) {
                if (node.role == NodeRole.REPLICA) {
                    node.lagNanos = this.positions.lagNanos(node.lsn, node.replayedCommitMicros, now);
                }
            }
            decide(published, true);
        }
        publish(published);
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
        all.forEach(this.monitor::start);
    }

    // ------------------------------------------------------------------------------------------------ routing

    @Override
    public Connection primaryConnection() throws SQLException {
        // a retried call's deadline ends the wait sooner, so attempts do not each wait the full time
        long waitDeadline = CallDeadline.cap(System.nanoTime() + this.settings.writeWaitTimeout().toNanos());
        NodeTracker current = null;
        long borrowDeadline = 0;
        while (true) {
            NodeTracker node = awaitPrimary(waitDeadline);
            if (node != current) {
                // the pool's connection timeout counts from when a primary is known, not from the wait for one
                current = node;
                borrowDeadline = CallDeadline
                    .cap(System.nanoTime() + node.pool().settings().connectionTimeout().toNanos());
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

    @Override
    public Connection readConnection(ReadPreference preference) throws SQLException {
        long start = System.nanoTime();
        while (true) {
            ClusterNode node = selectReader(preference);
            Connection connection;
            if (node == null) {
                connection = primaryConnection();
            }
            else {
                long borrowDeadline = CallDeadline.cap(start + node.pool().settings().connectionTimeout().toNanos());
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

    /** The first pause of a read waiting for a replica to replay its scope's writes; it doubles up to the most. */
    private static final long FIRST_REPLAY_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private static final long MAX_REPLAY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /**
     * Reads under read-your-writes: a replica known to be past the position, else the furthest one asked
     * directly, again with growing pauses until the wait runs out, then the primary.
     */
    @Override
    public Connection readConnection(ReadPreference preference, @Nullable ConsistencyToken after)
            throws SQLException {
        if (after == null || preference == ReadPreference.PRIMARY) {
            return readConnection(preference);
        }
        long position = after.position();
        long start = System.nanoTime();
        long deadline = start + this.settings.readYourWritesWait().toNanos();
        long pause = FIRST_REPLAY_PAUSE_NANOS;
        while (true) {
            Routes current = this.routes;
            ClusterNode primary = (current.primary != null) ? current.primary.node : null;
            List<ClusterNode> allowed = (preference == ReadPreference.NEAREST) ? nearest(current) : current.replicas;
            if (preference == ReadPreference.SECONDARY && allowed.isEmpty()) {
                throw new ReplicaUnavailableException("No replica can serve a read with read preference "
                        + "secondary: " + describe(this.trackers));
            }
            List<ClusterNode> fresh = allowed.stream()
                .filter((node) -> node == primary || this.replayPositions.hasReplayed(node, position))
                .toList();
            ClusterNode node = fresh.isEmpty() ? this.replayPositions.furthest(allowed) : this.selector.select(fresh);
            if (node == primary && node != null) {
                return readConnection(ReadPreference.PRIMARY);
            }
            if (node != null) {
                Connection connection = borrowReader(node, start);
                if (connection != null) {
                    boolean replayed = !fresh.isEmpty();
                    try {
                        replayed = replayed || this.replayPositions.ask(node, connection) >= position;
                        if (replayed) {
                            connection.setReadOnly(true);
                            return connection;
                        }
                    }
                    catch (SQLException ex) {
                        // the replica failed: the monitor hears of it on its own; look again
                    }
                    closeQuietly(connection);
                }
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0 || this.closed) {
                if (preference == ReadPreference.SECONDARY) {
                    throw new ReplicaUnavailableException("No replica replayed WAL position " + after + " within "
                            + this.settings.readYourWritesWait().toMillis() + " ms, for a read-your-writes read "
                            + "with read preference secondary: " + describe(this.trackers));
                }
                return readConnection(ReadPreference.PRIMARY);
            }
            LockSupport.parkNanos(Math.min(pause, remaining));
            if (Thread.currentThread().isInterrupted()) {
                throw new SQLException("Interrupted while waiting for a replica to replay WAL position " + after);
            }
            pause = Math.min(pause * 2, MAX_REPLAY_PAUSE_NANOS);
        }
    }

    /** A connection of a replica, or {@code null} when a borrowing slice ran out before the pool's timeout. */
    private @Nullable Connection borrowReader(ClusterNode node, long start) throws SQLException {
        long borrowDeadline = start + node.pool().settings().connectionTimeout().toNanos();
        try {
            return node.pool().borrow(slice(borrowDeadline));
        }
        catch (SQLException ex) {
            if (this.closed || Thread.currentThread().isInterrupted() || System.nanoTime() - borrowDeadline >= 0) {
                throw ex;
            }
            return null;
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        }
        catch (SQLException ex) {
            logger.debug("Could not return a connection", ex);
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
                if (current.replicas.isEmpty()) {
                    throw new ReplicaUnavailableException("No replica can serve a read with read preference "
                            + "secondary: " + describe(this.trackers));
                }
                yield this.selector.select(current.replicas);
            }
            case SECONDARY_PREFERRED -> current.replicas.isEmpty() ? null : this.selector.select(current.replicas);
            case NEAREST -> {
                List<ClusterNode> candidates = nearest(current);
                yield candidates.isEmpty() ? null : this.selector.select(candidates);
            }
        };
    }

    /** The primary and the readable replicas, less those slower than the fastest by more than the window. */
    private List<ClusterNode> nearest(Routes current) {
        List<ClusterNode> candidates = new ArrayList<>(current.replicas.size() + 1);
        if (current.primary != null) {
            candidates.add(current.primary.node);
        }
        candidates.addAll(current.replicas);
        long fastest = candidates.stream().mapToLong((node) -> node.snapshot().latencyNanos())
            .filter((nanos) -> nanos >= 0)
            .min()
            .orElse(-1);
        if (fastest < 0) {
            return candidates;
        }
        long limit = fastest + this.settings.latencyWindow().toNanos();
        return candidates.stream().filter((node) -> node.snapshot().latencyNanos() <= limit).toList();
    }

    private NodeTracker awaitPrimary(long deadline) {
        NodeTracker primary = this.routes.primary;
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
                    this.trackers.forEach(ClusterMonitor::wake);
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
                + " (failover in progress?). Nodes: " + describe(this.trackers), null);
    }

    @Override
    public Optional<ClusterNode> connectionFailed(Statement statement) {
        for (NodeTracker node : this.trackers) {
            if (node.pool().owns(statement)) {
                connectionLost(node);
                return Optional.of(node.node);
            }
        }
        return Optional.empty();
    }

    /**
     * Where every report of a lost connection to a node ends, from its pool or from
     * {@link #connectionFailed(Statement)}: the node is checked now rather than at its next turn. It runs on the
     * thread that met the failure, often a borrower's, so it only asks for a check, and not even that when a check
     * asked for earlier has not begun yet: that one begins after this failure too.
     */
    private void connectionLost(NodeTracker node) {
        long next = node.probesStarted + 1;
        if (node.lossProbe.get() >= next) {
            return;
        }
        node.lossProbe.accumulateAndGet(next, Math::max);
        ClusterMonitor.wake(node);
    }

    @Override
    public NodeState awaitVerdict(ClusterNode clusterNode) {
        NodeTracker node = tracker(clusterNode);
        if (node == null) {
            return clusterNode.state();
        }
        // Only a check begun after the loss tells: one already under way may have passed just before it. The loss
        // was reported when it was met, so the check it asked for may have begun, or even ended, by now.
        long reported = node.lossProbe.get();
        long firstTelling = (reported > 0) ? reported : node.probesStarted + 1;
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

    private @Nullable NodeTracker tracker(ClusterNode node) {
        for (NodeTracker tracker : this.trackers) {
            if (tracker.node == node) {
                return tracker;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ checks

    /** What the monitor asks of the topology and reports to it. */
    private final class MonitorListener implements ClusterMonitor.Listener {

        @Override
        public Duration nextDelay(NodeTracker node) {
            boolean urgent = (DefaultClusterTopology.this.writeWaiters > 0 || primaryInDoubt())
                    && DefaultClusterTopology.this.settings.failoverEnabled();
            boolean confirming = node.failures > 0 && node.state == NodeState.HEALTHY;
            boolean recovering = node.state == NodeState.RECOVERING;
            TopologySettings settings = DefaultClusterTopology.this.settings;
            return (urgent || confirming || recovering) ? settings.probeInterval() : settings.checkInterval();
        }

        @Override
        public boolean watch(NodeTracker node) {
            return DefaultClusterTopology.this.routes.primary == node
                    && DefaultClusterTopology.this.settings.failoverEnabled();
        }

        @Override
        public void checked(NodeTracker node, NodeCheck check, long probe) {
            onCheck(node, check, false);
            node.lastProbeCompleted = probe;
            synchronized (DefaultClusterTopology.this.lock) {
                DefaultClusterTopology.this.lock.notifyAll();
            }
        }

        @Override
        public void stalled(NodeTracker node, Duration threshold) {
            primaryStalled(node, threshold);
        }

        @Override
        public boolean closed() {
            return DefaultClusterTopology.this.closed;
        }

    }

    /**
     * A check of the primary has been running longer than a healthy server takes to answer: the primary may be
     * hung, and the cluster manager may be promoting another node, so every node is checked every probe interval
     * until the primary answers again.
     */
    private void primaryStalled(NodeTracker node, Duration threshold) {
        if (this.routes.primary != node || node.stalled) {
            return;
        }
        node.stalled = true;
        if (node.troubleSince == 0) {
            node.troubleSince = System.nanoTime();
        }
        logger.info("PostgreSQL primary {} has not answered a check for {} ms; checking every node every {} ms",
                node.name(), threshold.toMillis(), this.settings.probeInterval().toMillis());
        this.trackers.forEach(ClusterMonitor::wake);
    }

    /** Whether the writable primary is failing or slow to answer its checks. */
    private boolean primaryInDoubt() {
        NodeTracker primary = this.routes.primary;
        return primary != null && (primary.stalled || primary.failures > 0);
    }

    private void onCheck(NodeTracker node, NodeCheck check, boolean initial) {
        List<TopologyEvent> published = new ArrayList<>();
        boolean abort = false;
        NodeTracker toAbort = null;
        synchronized (this.lock) {
            if (!this.trackers.contains(node)) {
                return;
            }
            NodeState previousState = node.state;
            NodeRole previousRole = node.role;
            node.lastChecked = Instant.now();
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
                    this.positions.record(node, node.lsn, check.clockMicros(), now);
                }
                node.replayedCommitMicros = check.replayedCommitMicros();
                node.lagNanos = (node.role == NodeRole.REPLICA)
                        ? this.positions.lagNanos(node.lsn, node.replayedCommitMicros, now) : -1;
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
                    this.trackers.forEach(ClusterMonitor::wake);
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
            Election.Outcome outcome = decide(published, initial);
            NodeTracker displaced = (outcome.displaced() != null) ? find(outcome.displaced()) : null;
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

    private void log(NodeTracker node, NodeState previousState, NodeRole previousRole, String reason) {
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
     * Asks the election where work goes, applies its outcome to the routes and the nodes' snapshots, and reports
     * a failover or a split-brain; called with {@link #lock} held.
     * @return the outcome
     */
    private Election.Outcome decide(List<TopologyEvent> published, boolean initial) {
        List<NodeTracker> all = this.trackers;
        NodeTracker previous = this.routes.primary;
        Election.Outcome outcome = this.election.decide(candidates(all), this.memory);
        NodeTracker primary = (outcome.primary() != null) ? find(outcome.primary()) : null;
        if (!initial && primary != null && this.lastPrimary != null && primary != this.lastPrimary) {
            // Lag measured against the old primary says nothing of the new one: with a lag limit, replicas
            // serve no reads until their next check, which comes at once.
            for (NodeTracker node : all) {
                if (node.role == NodeRole.REPLICA) {
                    node.lagNanos = -1;
                    ClusterMonitor.wake(node);
                }
            }
            outcome = this.election.decide(candidates(all), this.memory);
        }
        this.memory = outcome.memory();
        List<NodeTracker> primaries = outcome.primaries().stream().map(this::find).toList();
        if (outcome.splitBrain()) {
            SplitBrainEvent event = this.splitBrainAlarm.observe(primaries, primary);
            if (event != null) {
                published.add(event);
            }
        }
        else {
            this.splitBrainAlarm.clear();
        }
        for (NodeTracker node : all) {
            node.stale = outcome.stale().contains(node.name());
            node.writable = node == primary;
            node.readsWithheld = outcome.withheld().get(node.name());
            node.publish();
        }
        List<ClusterNode> replicas = outcome.readable().stream().map((name) -> find(name).node).toList();
        this.routes = new Routes(primary, replicas, outcome.splitBrain());
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
                NodeTracker before = this.lastPrimary;
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

    private static List<Election.Candidate> candidates(List<NodeTracker> nodes) {
        List<Election.Candidate> candidates = new ArrayList<>(nodes.size());
        for (NodeTracker node : nodes) {
            candidates.add(new Election.Candidate(node.name(), node.state, node.role, node.timeline, node.lagNanos));
        }
        return candidates;
    }

    /** The node of that name among the current ones, or {@code null} when it was removed. */
    private @Nullable NodeTracker find(String name) {
        for (NodeTracker node : this.trackers) {
            if (node.name().equals(name)) {
                return node;
            }
        }
        return null;
    }

    private void publish(List<TopologyEvent> published) {
        this.events.publish(published);
    }

    // ------------------------------------------------------------------------------------------ administration

    @Override
    public void addListener(Consumer<? super TopologyEvent> listener) {
        this.events.addListener(listener);
    }

    @Override
    public void maintenance(String name) {
        NodeTracker node = trackerNamed(name);
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            NodeState previous = node.state;
            if (previous != NodeState.MAINTENANCE) {
                node.state = NodeState.MAINTENANCE;
                published.add(new NodeStateChangedEvent(node.name(), previous, NodeState.MAINTENANCE, node.role,
                        node.role, "put in maintenance", Instant.now()));
                logger.info("PostgreSQL node {} is in maintenance", node.name());
                decide(published, false);
            }
        }
        publish(published);
    }

    @Override
    public boolean drain(String name, Duration timeout) throws InterruptedException {
        NodeTracker node = trackerNamed(name);
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

    @Override
    public void resume(String name) {
        NodeTracker node = trackerNamed(name);
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            if (node.state == NodeState.MAINTENANCE) {
                node.state = (node.failures == 0 && node.lastChecked != null) ? NodeState.HEALTHY
                        : NodeState.UNHEALTHY;
                published.add(new NodeStateChangedEvent(node.name(), NodeState.MAINTENANCE, node.state, node.role,
                        node.role, "resumed from maintenance", Instant.now()));
                logger.info("PostgreSQL node {} is back from maintenance: {}", node.name(), node.state.label());
                decide(published, false);
            }
        }
        ClusterMonitor.wake(node);
        publish(published);
    }

    @Override
    public ClusterNode addNode(NodeDefinition definition) {
        if (this.closed) {
            throw new IllegalStateException("The topology is closed");
        }
        // The pool (and the customizers) are built outside the lock, which the monitor needs.
        NodeTracker node = newNode(definition);
        synchronized (this.lock) {
            if (this.trackers.stream().anyMatch((existing) -> existing.name().equals(definition.name()))) {
                node.pool().close();
                throw new IllegalArgumentException("A node named " + definition.name() + " exists already");
            }
            List<NodeTracker> updated = new ArrayList<>(this.trackers);
            updated.add(node);
            setTrackers(updated);
        }
        onCheck(node, this.monitor.checkNow(node), true);
        logger.info("Added PostgreSQL node {}: {} {}", node.name(), node.state.label(), node.role.label());
        if (this.started) {
            this.monitor.start(node);
        }
        return node.node;
    }

    @Override
    public void removeNode(String name) {
        NodeTracker node = trackerNamed(name);
        List<TopologyEvent> published = new ArrayList<>();
        synchronized (this.lock) {
            List<NodeTracker> updated = new ArrayList<>(this.trackers);
            updated.remove(node);
            setTrackers(updated);
            // a timeline only the removed node had reached must not keep the others stale
            this.memory = new Election.Memory(Election.newestPrimaryTimeline(candidates(updated)),
                    this.memory.pinnedPrimary(), this.memory.primary());
            decide(published, false);
        }
        publish(published);
        this.monitor.stop(node);
        this.replayPositions.forget(node.node);
        node.pool().close();
        logger.info("Removed PostgreSQL node {}", name);
    }

    // ------------------------------------------------------------------------------------------------- views

    @Override
    public List<ClusterNode> nodes() {
        return this.nodes;
    }

    @Override
    public ClusterNode node(String name) {
        return trackerNamed(name).node;
    }

    private NodeTracker trackerNamed(String name) {
        NodeTracker node = find(name);
        if (node == null) {
            throw new IllegalArgumentException("No PostgreSQL node is named " + name + "; the nodes are "
                    + this.trackers.stream().map(NodeTracker::name).collect(Collectors.joining(", ")));
        }
        return node;
    }

    @Override
    public Optional<ClusterNode> primary() {
        NodeTracker primary = this.routes.primary;
        return (primary != null) ? Optional.of(primary.node) : Optional.empty();
    }

    @Override
    public boolean isSplitBrain() {
        return this.routes.splitBrain;
    }

    @Override
    public List<NodeHealth> health() {
        NodeTracker primary = this.routes.primary;
        long primaryLsn = (primary != null) ? primary.node.snapshot().lsn() : -1;
        return this.nodes.stream().map((node) -> node.health(primaryLsn)).toList();
    }

    @Override
    public TopologySettings settings() {
        return this.settings;
    }

    /**
     * Stops the monitor, then drains and closes every pool at once.
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
        List<NodeTracker> all = this.trackers;
        all.forEach(this.monitor::stop);
        List<Thread> closing = new ArrayList<>();
        for (NodeTracker node : all) {
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
        this.events.close();
        this.monitor.close();
    }

    private static String describe(List<NodeTracker> nodes) {
        return nodes.stream().map((node) -> node.name() + " " + node.state.label() + " " + node.role.label()
                + (node.stale ? " (stale timeline " + node.timeline + ")" : "")
                + ((node.readsWithheld != null && !node.stale) ? " (no reads: " + node.readsWithheld + ")" : ""))
            .collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return "ClusterTopology[" + describe(this.trackers) + "]";
    }

    /** Where work goes, replaced as a whole whenever a decision changes it. */
    private static final class Routes {

        static final Routes NONE = new Routes(null, List.of(), false);

        final @Nullable NodeTracker primary;

        final List<ClusterNode> replicas;

        final boolean splitBrain;

        Routes(@Nullable NodeTracker primary, List<ClusterNode> replicas, boolean splitBrain) {
            this.primary = primary;
            this.replicas = replicas;
            this.splitBrain = splitBrain;
        }

    }

}
