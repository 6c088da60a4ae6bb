package io.nexs.postgres.observe;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.hook.SqlText;
import io.nexs.postgres.observe.ConnectionLeakDetector.Leak;
import io.nexs.postgres.observe.SafetyFinding.Kind;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.NodeState;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks for trouble the application causes itself, with PostgreSQL's own views, every {@code interval}: connections
 * borrowed longer than the leak threshold (with the borrower's stack trace), and, on every healthy node, sessions of
 * this application ({@code pg_stat_activity} by {@code application_name}) running a statement too long, idle inside
 * an open transaction, or waiting for a lock (with the blocking sessions from {@code pg_blocking_pids}), and
 * deadlocks the server resolved ({@code pg_stat_database.deadlocks}).
 *
 * <p>Each finding is logged once, however many checks see it, and the latest are kept for the Actuator endpoint. A
 * check costs one short query per node on a connection of its own, outside the pools. Statements are shown with
 * literals removed.
 */
public class SafetyMonitor implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(SafetyMonitor.class);

    /** How many findings are kept for the endpoint. */
    public static final int KEPT = 50;

    private static final String SESSIONS_SQL = "select pid, backend_start::text, state, "
            + "extract(epoch from now() - query_start), extract(epoch from now() - state_change), "
            + "xact_start::text, query_start::text, wait_event_type = 'Lock', pg_blocking_pids(pid), query "
            + "from pg_stat_activity where application_name = current_setting('application_name') "
            + "and pid <> pg_backend_pid() and backend_type = 'client backend' "
            + "and ((state = 'active' and now() - query_start > make_interval(secs => ?)) "
            + "or (state like 'idle in transaction%' and now() - state_change > make_interval(secs => ?)) "
            + "or (wait_event_type = 'Lock' and now() - query_start > make_interval(secs => ?)))";

    private static final String DEADLOCKS_SQL = "select deadlocks from pg_stat_database "
            + "where datname = current_database()";

    private final PostgresProvider provider;

    private final Settings settings;

    private final @Nullable ConnectionLeakDetector leaks;

    private final List<SafetyListener> listeners;

    private final Clock clock;

    private final Deque<SafetyFinding> recent = new ArrayDeque<>();

    /** Keys of the session findings reported and still present at the last check. */
    private Set<String> reported = new HashSet<>();

    private final Map<String, Long> deadlocks = new ConcurrentHashMap<>();

    private @Nullable ScheduledExecutorService scheduler;

    /**
     * Creates a monitor; {@link #start()} begins the periodic checks.
     * @param provider the provider whose nodes are checked
     * @param settings thresholds and interval
     * @param leaks the leak detector installed on the provider's pools, or {@code null}
     * @param listeners told of leaks and deadlocks, to count them ({@link PostgresMetrics} is one)
     */
    public SafetyMonitor(PostgresProvider provider, Settings settings, @Nullable ConnectionLeakDetector leaks,
            List<? extends SafetyListener> listeners) {
        this.provider = provider;
        this.settings = settings;
        this.leaks = leaks;
        this.listeners = List.copyOf(listeners);
        this.clock = Clock.systemUTC();
    }

    /** Starts the periodic checks on a daemon thread. */
    public synchronized void start() {
        if (this.scheduler != null) {
            return;
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
            Thread thread = new Thread(task, "nexs-postgres-safety-monitor");
            thread.setDaemon(true);
            return thread;
        });
        long millis = this.settings.interval().toMillis();
        this.scheduler.scheduleWithFixedDelay(() -> {
            try {
                check();
            }
            catch (RuntimeException ex) {
                logger.debug("A safety check failed", ex);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (this.scheduler != null) {
            this.scheduler.shutdownNow();
            this.scheduler = null;
        }
    }

    /**
     * The latest findings, newest first.
     * @return at most {@value #KEPT}
     */
    public List<SafetyFinding> recentFindings() {
        synchronized (this.recent) {
            return List.copyOf(this.recent);
        }
    }

    /**
     * Checks once now.
     * @return the findings not reported before
     */
    public synchronized List<SafetyFinding> check() {
        List<SafetyFinding> found = new ArrayList<>();
        if (this.leaks != null) {
            for (Leak leak : this.leaks.newLeaks()) {
                found.add(new SafetyFinding(Kind.CONNECTION_LEAK, leak.node(), null, leak.held(),
                        "a connection borrowed by thread " + leak.thread() + " has not been returned",
                        leak.stackTrace(), this.clock.instant()));
                this.listeners.forEach(SafetyListener::connectionLeaked);
            }
        }
        Set<String> present = new HashSet<>();
        for (ClusterNode node : this.provider.topology().nodes()) {
            if (node.state() != NodeState.HEALTHY || !checkNode(node, found, present)) {
                // not seen this time, not gone: what was reported stays reported
                String prefix = node.name() + "/";
                this.reported.stream().filter((key) -> key.startsWith(prefix)).forEach(present::add);
            }
        }
        this.reported = present;
        for (SafetyFinding finding : found) {
            report(finding);
        }
        return found;
    }

    /** Checks one node; returns whether the check could run. */
    private boolean checkNode(ClusterNode node, List<SafetyFinding> found, Set<String> present) {
        try (Connection connection = node.pool().openConnection(this.settings.queryTimeout())) {
            try (PreparedStatement statement = connection.prepareStatement(SESSIONS_SQL)) {
                statement.setDouble(1, seconds(this.settings.longRunning()));
                statement.setDouble(2, seconds(this.settings.idleInTransaction()));
                statement.setDouble(3, seconds(this.settings.lockWait()));
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        session(node.name(), rows, found, present);
                    }
                }
            }
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery(DEADLOCKS_SQL)) {
                if (rows.next()) {
                    deadlocks(node.name(), rows.getLong(1), found);
                }
            }
            return true;
        }
        catch (SQLException ex) {
            logger.debug("Could not check the sessions on node {} (SQLSTATE {})", node.name(), SqlStates.of(ex));
            return false;
        }
    }

    private void session(String node, ResultSet rows, List<SafetyFinding> found, Set<String> present)
            throws SQLException {
        int pid = rows.getInt(1);
        String state = rows.getString(3);
        boolean lockWait = rows.getBoolean(8);
        Kind kind = lockWait ? Kind.LOCK_WAIT
                : ("active".equals(state) ? Kind.LONG_RUNNING : Kind.IDLE_IN_TRANSACTION);
        double secondsSince = (kind == Kind.IDLE_IN_TRANSACTION) ? rows.getDouble(5) : rows.getDouble(4);
        String since = (kind == Kind.IDLE_IN_TRANSACTION) ? rows.getString(6) : rows.getString(7);
        String key = node + "/" + pid + "/" + rows.getString(2) + "/" + kind + "/" + since;
        present.add(key);
        if (this.reported.contains(key)) {
            return;
        }
        String statement = SqlText.normalize(rows.getString(10));
        String detail = switch (kind) {
            case LOCK_WAIT -> "waits for a lock held by " + blockers(rows.getArray(9)) + ": " + statement;
            case LONG_RUNNING -> "runs " + statement;
            default -> "holds a transaction open doing nothing; its last statement was " + statement;
        };
        found.add(new SafetyFinding(kind, node, pid, Duration.ofMillis((long) (secondsSince * 1000)), detail, null,
                this.clock.instant()));
    }

    private static String blockers(@Nullable Array pids) throws SQLException {
        if (pids == null) {
            return "another session";
        }
        Object[] values = (Object[]) pids.getArray();
        return (values.length == 1) ? "pid " + values[0] : "pids " + Arrays.toString(values);
    }

    private void deadlocks(String node, long total, List<SafetyFinding> found) {
        Long before = this.deadlocks.put(node, total);
        if (before != null && total > before) {
            long count = total - before;
            found.add(new SafetyFinding(Kind.DEADLOCK, node, null, this.settings.interval(),
                    count + ((count == 1) ? " deadlock" : " deadlocks") + " resolved by the server in this database "
                            + "since the last check",
                    null, this.clock.instant()));
            this.listeners.forEach((listener) -> listener.deadlocksResolved(count));
        }
    }

    private void report(SafetyFinding finding) {
        if (finding.kind() == Kind.CONNECTION_LEAK) {
            logger.warn("Connection leak on node {}: {} after {} ms; it was borrowed at:\n{}", finding.node(),
                    finding.detail(), finding.duration().toMillis(), finding.stackTrace());
        }
        else {
            logger.warn("{} on node {}{}: {} ({} ms)", finding.kind(), finding.node(),
                    (finding.pid() != null) ? ", pid " + finding.pid() : "", finding.detail(),
                    finding.duration().toMillis());
        }
        synchronized (this.recent) {
            this.recent.addFirst(finding);
            while (this.recent.size() > KEPT) {
                this.recent.removeLast();
            }
        }
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }

    /**
     * When the monitor checks and what it reports.
     *
     * @param interval time between two checks
     * @param longRunning a statement running longer is reported
     * @param idleInTransaction a session idle inside a transaction for longer is reported
     * @param lockWait a statement waiting for a lock for longer is reported
     * @param queryTimeout how long a check may wait for a node
     */
    public record Settings(Duration interval, Duration longRunning, Duration idleInTransaction, Duration lockWait,
            Duration queryTimeout) {

        /**
         * The defaults: every 30 s; statements over 30 s, idle transactions over 30 s, lock waits over 5 s.
         * @return the settings
         */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
                    Duration.ofSeconds(5), Duration.ofSeconds(5));
        }

    }

}
