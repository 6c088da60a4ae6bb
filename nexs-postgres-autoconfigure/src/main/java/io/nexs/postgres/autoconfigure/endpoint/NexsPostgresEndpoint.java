package io.nexs.postgres.autoconfigure.endpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.hook.HookRegistry;
import io.nexs.postgres.observe.RecentActivity;
import io.nexs.postgres.observe.RecentActivity.SlowStatement;
import io.nexs.postgres.observe.SafetyFinding;
import io.nexs.postgres.observe.SafetyMonitor;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolStats;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeHealth;
import io.nexs.postgres.tx.RetryStatistics;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@code /actuator/nexspostgres}: what nexs-postgres knows about the cluster, in one read-only report: every
 * node with its role, state, lag and pool, the latest failovers, retry and hook statistics, and the slowest
 * recent statements (by name or text with literals removed, never values), and the safety monitor's findings. Like Spring Boot's own endpoints that
 * reveal internals, it is not exposed over HTTP unless the application adds it to
 * {@code management.endpoints.web.exposure.include}.
 */
@Endpoint(id = "nexspostgres")
public class NexsPostgresEndpoint {

    private final PostgresProvider provider;

    private final @Nullable RecentActivity activity;

    private final @Nullable SafetyMonitor safety;

    /**
     * Creates the endpoint.
     * @param provider the provider reported on
     * @param activity the recent failovers and slow statements, or {@code null} when not recorded
     * @param safety the safety monitor whose findings are listed, or {@code null} when it does not run
     */
    public NexsPostgresEndpoint(PostgresProvider provider, @Nullable RecentActivity activity,
            @Nullable SafetyMonitor safety) {
        this.provider = provider;
        this.activity = activity;
        this.safety = safety;
    }

    /**
     * The report.
     * @return the cluster as nexs-postgres sees it now
     */
    @ReadOperation
    public Report report() {
        List<Node> nodes = new ArrayList<>();
        for (NodeHealth health : this.provider.topology().health()) {
            PoolStats stats = pool(health.name());
            nodes.add(new Node(health.name(), health.address().toString(), health.state().label(),
                    health.role().label(), health.writable(), health.timeline(), millis(health.replayLag()),
                    health.replayLagBytes(), millis(health.latency()), health.consecutiveFailures(),
                    health.lastChecked(), health.lastError(), health.serverVersion(),
                    (stats != null) ? new Pool(stats.active(), stats.idle(), stats.pending(), stats.max()) : null,
                    health.stale(), health.readsWithheld()));
        }
        String primary = this.provider.topology().primary().map(ClusterNode::name).orElse(null);
        List<Failover> failovers = new ArrayList<>();
        List<SlowStatement> slowest = List.of();
        if (this.activity != null) {
            for (FailoverEvent event : this.activity.failovers()) {
                failovers.add(new Failover(event.previousPrimary(), event.newPrimary(), event.timeline(),
                        event.writesUnavailable().toMillis(), event.timestamp()));
            }
            slowest = this.activity.slowestStatements();
        }
        HookRegistry hooks = this.provider.hooks();
        return new Report(primary, this.provider.topology().isSplitBrain(), nodes, failovers,
                this.provider.retryStatistics(), new Hooks(hooks.failureCount(), hooks.timeoutCount()),
                slowest.stream()
                    .map((statement) -> new Statement(statement.statement(), statement.operation(), statement.node(),
                            statement.duration().toNanos() / 1e6, statement.at(), statement.failed()))
                    .toList(),
                (this.safety != null) ? this.safety.recentFindings() : List.of());
    }

    private @Nullable PoolStats pool(String name) {
        for (NodePool pool : this.provider.nodes()) {
            if (pool.name().equals(name)) {
                return pool.stats();
            }
        }
        return null;
    }

    private static @Nullable Double millis(@Nullable Duration duration) {
        return (duration != null) ? duration.toNanos() / 1e6 : null;
    }

    /**
     * The report.
     *
     * @param primary the node writes go to, or {@code null} during a failover
     * @param splitBrain whether two healthy nodes claim to be primary
     * @param nodes every node
     * @param failovers the latest failovers, newest first
     * @param retries retry statistics
     * @param hooks hook failures and timeouts
     * @param slowestStatements the slowest recent statements, slowest first
     * @param safetyFindings the safety monitor's latest findings, newest first
     */
    public record Report(@Nullable String primary, boolean splitBrain, List<Node> nodes, List<Failover> failovers,
            RetryStatistics retries, Hooks hooks, List<Statement> slowestStatements,
            List<SafetyFinding> safetyFindings) {
    }

    /**
     * One node.
     *
     * @param name its name
     * @param address host and port
     * @param state healthy, unhealthy, recovering or maintenance
     * @param role primary, replica or unknown
     * @param writable whether writes go to it
     * @param timeline its timeline
     * @param lagMs replay lag of a replica, in milliseconds
     * @param lagBytes replay lag of a replica, in bytes of WAL
     * @param latencyMs how long its last check took
     * @param consecutiveFailures checks failed in a row
     * @param lastChecked when it was last checked
     * @param lastError why its last check failed, if it did
     * @param version its server version
     * @param pool its pool
     * @param stale whether it is on an older timeline than the newest primary
     * @param readsWithheld why it, a healthy replica, serves no reads, if it does not
     */
    public record Node(String name, String address, String state, String role, boolean writable, long timeline,
            @Nullable Double lagMs, @Nullable Long lagBytes, @Nullable Double latencyMs, int consecutiveFailures,
            @Nullable Instant lastChecked, @Nullable String lastError, @Nullable String version, @Nullable Pool pool,
            boolean stale, @Nullable String readsWithheld) {
    }

    /**
     * A node's pool.
     *
     * @param active connections borrowed
     * @param idle connections idle
     * @param pending callers waiting
     * @param max most connections
     */
    public record Pool(int active, int idle, int pending, int max) {
    }

    /**
     * A failover.
     *
     * @param previousPrimary the node that took writes before, if any
     * @param newPrimary the node that takes them now
     * @param timeline the new primary's timeline
     * @param writesUnavailableMs how long no node took writes
     * @param at when writes resumed
     */
    public record Failover(@Nullable String previousPrimary, String newPrimary, long timeline,
            long writesUnavailableMs, Instant at) {
    }

    /**
     * Hook statistics.
     *
     * @param failures calls that threw or ran past the timeout
     * @param timeouts calls that ran past the timeout
     */
    public record Hooks(long failures, long timeouts) {
    }

    /**
     * A slow statement.
     *
     * @param statement its name, or its text with literals removed
     * @param operation query, exec, batch or copy
     * @param node the node it ran on
     * @param durationMs how long it took
     * @param at when it ended
     * @param failed whether it failed
     */
    public record Statement(String statement, String operation, @Nullable String node, double durationMs, Instant at,
            boolean failed) {
    }

}
