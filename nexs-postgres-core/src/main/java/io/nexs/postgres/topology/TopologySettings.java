package io.nexs.postgres.topology;

import java.time.Duration;
import java.util.Objects;

import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ReadConsistency;
import org.jspecify.annotations.Nullable;

/**
 * How the topology routes reads and watches for failures.
 *
 * @param readPreference which nodes serve reads when the caller does not say
 * @param loadBalancing how a read chooses among the allowed nodes
 * @param maxLag a replica further behind than this, or whose lag is not measured yet, serves no reads; {@code null}
 * for no limit
 * @param latencyWindow under {@link ReadPreference#NEAREST}, nodes this much slower than the fastest are left out
 * @param failoverEnabled whether writes follow a new primary; when off, writes stay with the first node seen as
 * primary and fail at once while it is unhealthy
 * @param checkInterval time between two checks of a healthy node
 * @param checkTimeout how long one check (connecting included) may take before it counts as failed
 * @param failureThreshold failed checks in a row that make a node unhealthy, and good checks in a row that make
 * it healthy again
 * @param writeWaitTimeout how long a write waits for a primary before failing
 * @param probeInterval time between two checks of a node while writes wait for a primary or after a failed check
 * @param consistency how fresh reads must be when the caller's scope does not say
 * @param readYourWritesWait under {@link ReadConsistency#READ_YOUR_WRITES}, how long a read waits for a replica
 * that has replayed the scope's writes before it goes to the primary
 * @param readYourWritesWindow under {@link ReadConsistency#READ_YOUR_WRITES}, how long a thread that wrote outside
 * any open scope keeps reading its writes after its last one; zero to read them only in open scopes (a web request,
 * a scope carrying a token)
 */
public record TopologySettings(ReadPreference readPreference, LoadBalancing loadBalancing, @Nullable Duration maxLag,
        Duration latencyWindow, boolean failoverEnabled, Duration checkInterval, Duration checkTimeout,
        int failureThreshold, Duration writeWaitTimeout, Duration probeInterval, ReadConsistency consistency,
        Duration readYourWritesWait, Duration readYourWritesWindow) {

    /** Default wait of a read-your-writes read for a replica that has its writes. */
    public static final Duration DEFAULT_READ_YOUR_WRITES_WAIT = Duration.ofMillis(200);

    /**
     * Default time a thread keeps reading its own writes after its last one. Long enough for the reads that follow
     * a write in the same piece of work (a repository's {@code save} then {@code findById}, a listener that writes
     * then reads), with room for a slow step between them (a call to another service, a cold first query), and for
     * a healthy replica to replay the write, after which the window
     * no longer matters; short enough that a pooled thread that goes on to unrelated work does not keep waiting
     * for, or falling back to the primary from, replicas that lag.
     */
    public static final Duration DEFAULT_READ_YOUR_WRITES_WINDOW = ConsistencyScope.DEFAULT_WINDOW;

    /** Default read preference: replicas, the primary when none is available. */
    public static final ReadPreference DEFAULT_READ_PREFERENCE = ReadPreference.SECONDARY_PREFERRED;

    /**
     * Checks the settings.
     * @param readPreference default read preference
     * @param loadBalancing load balancing among allowed nodes
     * @param maxLag lag limit of replicas, or {@code null}
     * @param latencyWindow latency window of nearest reads
     * @param failoverEnabled whether writes follow a new primary
     * @param checkInterval time between checks
     * @param checkTimeout time limit of a check
     * @param failureThreshold failures in a row before a node is unhealthy
     * @param writeWaitTimeout how long a write waits for a primary
     * @param probeInterval time between checks while writes wait
     * @param consistency default read consistency
     * @param readYourWritesWait how long a read-your-writes read waits for a fresh replica
     * @param readYourWritesWindow how long a thread reads its writes after its last one, outside open scopes
     */
    public TopologySettings {
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(readYourWritesWait, "readYourWritesWait");
        if (readYourWritesWait.isNegative()) {
            throw new IllegalArgumentException("readYourWritesWait must not be negative");
        }
        Objects.requireNonNull(readYourWritesWindow, "readYourWritesWindow");
        if (readYourWritesWindow.isNegative()) {
            throw new IllegalArgumentException("readYourWritesWindow must not be negative");
        }
        Objects.requireNonNull(readPreference, "readPreference");
        Objects.requireNonNull(loadBalancing, "loadBalancing");
        Objects.requireNonNull(latencyWindow, "latencyWindow");
        Objects.requireNonNull(checkInterval, "checkInterval");
        Objects.requireNonNull(checkTimeout, "checkTimeout");
        Objects.requireNonNull(writeWaitTimeout, "writeWaitTimeout");
        Objects.requireNonNull(probeInterval, "probeInterval");
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1, not " + failureThreshold);
        }
        if (checkInterval.isNegative() || checkInterval.isZero() || checkTimeout.isNegative()
                || checkTimeout.isZero() || probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("check intervals and timeouts must be positive");
        }
    }

    /**
     * Settings whose threads read their writes for {@link #DEFAULT_READ_YOUR_WRITES_WINDOW} after their last one.
     * @param readPreference default read preference
     * @param loadBalancing load balancing among allowed nodes
     * @param maxLag lag limit of replicas, or {@code null}
     * @param latencyWindow latency window of nearest reads
     * @param failoverEnabled whether writes follow a new primary
     * @param checkInterval time between checks
     * @param checkTimeout time limit of a check
     * @param failureThreshold failures in a row before a node is unhealthy
     * @param writeWaitTimeout how long a write waits for a primary
     * @param probeInterval time between checks while writes wait
     * @param consistency default read consistency
     * @param readYourWritesWait how long a read-your-writes read waits for a fresh replica
     */
    public TopologySettings(ReadPreference readPreference, LoadBalancing loadBalancing, @Nullable Duration maxLag,
            Duration latencyWindow, boolean failoverEnabled, Duration checkInterval, Duration checkTimeout,
            int failureThreshold, Duration writeWaitTimeout, Duration probeInterval, ReadConsistency consistency,
            Duration readYourWritesWait) {
        this(readPreference, loadBalancing, maxLag, latencyWindow, failoverEnabled, checkInterval, checkTimeout,
                failureThreshold, writeWaitTimeout, probeInterval, consistency, readYourWritesWait,
                DEFAULT_READ_YOUR_WRITES_WINDOW);
    }

    /**
     * Settings with eventual consistency, reads waiting {@link #DEFAULT_READ_YOUR_WRITES_WAIT} when a scope asks
     * for read-your-writes.
     * @param readPreference default read preference
     * @param loadBalancing load balancing among allowed nodes
     * @param maxLag lag limit of replicas, or {@code null}
     * @param latencyWindow latency window of nearest reads
     * @param failoverEnabled whether writes follow a new primary
     * @param checkInterval time between checks
     * @param checkTimeout time limit of a check
     * @param failureThreshold failures in a row before a node is unhealthy
     * @param writeWaitTimeout how long a write waits for a primary
     * @param probeInterval time between checks while writes wait
     */
    public TopologySettings(ReadPreference readPreference, LoadBalancing loadBalancing, @Nullable Duration maxLag,
            Duration latencyWindow, boolean failoverEnabled, Duration checkInterval, Duration checkTimeout,
            int failureThreshold, Duration writeWaitTimeout, Duration probeInterval) {
        this(readPreference, loadBalancing, maxLag, latencyWindow, failoverEnabled, checkInterval, checkTimeout,
                failureThreshold, writeWaitTimeout, probeInterval, ReadConsistency.EVENTUAL,
                DEFAULT_READ_YOUR_WRITES_WAIT);
    }

    /**
     * The same settings with another default read consistency.
     * @param consistency how fresh reads must be when the caller's scope does not say
     * @param readYourWritesWait how long a read-your-writes read waits for a replica that has its writes
     * @return the settings
     */
    public TopologySettings withConsistency(ReadConsistency consistency, Duration readYourWritesWait) {
        return new TopologySettings(this.readPreference, this.loadBalancing, this.maxLag, this.latencyWindow,
                this.failoverEnabled, this.checkInterval, this.checkTimeout, this.failureThreshold,
                this.writeWaitTimeout, this.probeInterval, consistency, readYourWritesWait, this.readYourWritesWindow);
    }

    /**
     * The same settings with another read-your-writes window.
     * @param readYourWritesWindow how long a thread reads its writes after its last one, outside open scopes
     * @return the settings
     */
    public TopologySettings withReadYourWritesWindow(Duration readYourWritesWindow) {
        return new TopologySettings(this.readPreference, this.loadBalancing, this.maxLag, this.latencyWindow,
                this.failoverEnabled, this.checkInterval, this.checkTimeout, this.failureThreshold,
                this.writeWaitTimeout, this.probeInterval, this.consistency, this.readYourWritesWait,
                readYourWritesWindow);
    }

    /**
     * The defaults: secondary-preferred round-robin reads, no lag limit, checks every 500 ms with a 700 ms limit, two
     * failures in a row (the second 25 ms after the first) to mark a node unhealthy, writes waiting up to 15 seconds
     * for a primary. A hung server is thus found within 0.5 + 0.7 + 0.025 + 0.7 s, under two seconds, and a stopped
     * one within about half a second; a server whose CPU is saturated still answers a check, one short query on a
     * connection of its own, in a few tens of milliseconds, well within 700 ms. Reads see the writes of their scope
     * and, for {@link #DEFAULT_READ_YOUR_WRITES_WINDOW} after its last write, of their thread, waiting up to
     * {@link #DEFAULT_READ_YOUR_WRITES_WAIT} for a replica that has them.
     * @return the default settings
     */
    public static TopologySettings defaults() {
        return new TopologySettings(DEFAULT_READ_PREFERENCE, LoadBalancing.ROUND_ROBIN, null, Duration.ofMillis(15),
                true, Duration.ofMillis(500), Duration.ofMillis(700), 2, Duration.ofSeconds(15),
                Duration.ofMillis(25), ReadConsistency.READ_YOUR_WRITES, DEFAULT_READ_YOUR_WRITES_WAIT,
                DEFAULT_READ_YOUR_WRITES_WINDOW);
    }

}
