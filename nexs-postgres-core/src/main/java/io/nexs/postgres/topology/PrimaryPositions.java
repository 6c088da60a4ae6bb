package io.nexs.postgres.topology;

/**
 * How far a replica's replay trails the writable primary, from what the servers report.
 *
 * <p>The history: the primary's WAL positions as its checks saw them, each with the time it was first seen. When
 * the history reaches back to a replica's replay position, the lag is the time since the primary first passed that
 * position. This measures replay, not commits: a replica keeping up with a long bulk load shows no lag, and one
 * whose replay is paused shows lag that grows even when no transaction commits. That figure is short by at most
 * one check interval of the primary.
 *
 * <p>The history starts empty (start-up, another primary), so a replica that fell behind before it started would
 * look fresh. For a replica behind everything the history holds, the lag is the primary's clock now (its last
 * {@code clock_timestamp()}, moved on by the monotonic time since) less the commit time of the last transaction
 * the replica replayed ({@code pg_last_xact_replay_timestamp()}, also the primary's clock), and never less than
 * what the history tells. Both times come from the primary's clock, so neither this JVM's clock nor the replica's
 * plays a part; only a commit replayed from a former primary carries that server's clock, assumed to agree with
 * the current primary's. That figure is an upper bound: the primary may have committed nothing since, and written
 * only WAL without commits. It is therefore not used when the history reaches back: a near-idle primary would make
 * a replica one background record behind look as old as the last commit. A replica that has replayed everything
 * the primary was last seen writing has no lag, whatever the times say, so an idle primary does not make replicas
 * look stale. A replica behind the history that has replayed no transaction since it started has a lag that is not
 * known yet.
 *
 * <p>Not thread-safe; the topology guards it with its lock.
 */
final class PrimaryPositions {

    /** About a quarter of an hour of a busy primary checked every second. */
    private static final int CAPACITY = 1024;

    private final long[] positions = new long[CAPACITY];

    private final long[] times = new long[CAPACITY];

    private int first;

    private int size;

    /** The primary the history is of. */
    private Object source = this;

    /** The primary's clock at its last check, in microseconds since the epoch. */
    private long clockMicros = NodeCheck.NO_TIME;

    /** When that was, {@link System#nanoTime()}. */
    private long clockNanos;

    /**
     * Records a position of the writable primary.
     * @param primary the node it was seen on; another node starts a new history
     * @param position its WAL position
     * @param clockMicros the primary's clock during the check, microseconds since the epoch, or
     * {@link NodeCheck#NO_TIME}
     * @param nanos when it was seen, {@link System#nanoTime()}
     */
    void record(Object primary, long position, long clockMicros, long nanos) {
        if (position < 0) {
            return;
        }
        if (primary != this.source) {
            // positions of another primary tell nothing of this one, even on a shared timeline
            clear();
            this.source = primary;
        }
        if (clockMicros != NodeCheck.NO_TIME) {
            this.clockMicros = clockMicros;
            this.clockNanos = nanos;
        }
        if (this.size > 0) {
            long last = this.positions[index(this.size - 1)];
            if (position == last) {
                return;
            }
            if (position < last) {
                // the primary went back: positions from before do not compare
                clearPositions();
            }
        }
        if (this.size == CAPACITY) {
            this.first = index(1);
            this.size--;
        }
        int slot = index(this.size);
        this.positions[slot] = position;
        this.times[slot] = nanos;
        this.size++;
    }

    /**
     * How far a replica's replay trails.
     * @param replayed the replica's replay position
     * @param replayedCommitMicros the commit time of the last transaction it replayed, microseconds since the
     * epoch, or {@link NodeCheck#NO_TIME}
     * @param nanos now, {@link System#nanoTime()}
     * @return the lag in nanoseconds, 0 when it has replayed everything the primary was last seen writing, -1 when
     * unknown
     */
    long lagNanos(long replayed, long replayedCommitMicros, long nanos) {
        if (this.size == 0 || replayed < 0) {
            return -1;
        }
        if (replayed >= this.positions[index(this.size - 1)]) {
            return 0;
        }
        long oldest = this.positions[index(0)];
        if (oldest <= replayed) {
            for (int i = 1; i < this.size; i++) {
                int slot = index(i);
                if (this.positions[slot] > replayed) {
                    return Math.max(0, nanos - this.times[slot]);
                }
            }
            return 0;
        }
        // behind all the history holds: at least as old as the history, at most as old as its last replayed commit
        long atLeast = Math.max(0, nanos - this.times[index(0)]);
        if (replayedCommitMicros == NodeCheck.NO_TIME || this.clockMicros == NodeCheck.NO_TIME) {
            return -1;
        }
        long primaryNowMicros = this.clockMicros + (nanos - this.clockNanos) / 1_000;
        long sinceCommit = Math.min(Math.max(0, primaryNowMicros - replayedCommitMicros), Long.MAX_VALUE / 1_000)
                * 1_000;
        return Math.max(atLeast, sinceCommit);
    }

    /** Forgets the history. */
    void clear() {
        clearPositions();
        this.clockMicros = NodeCheck.NO_TIME;
        this.source = this;
    }

    private void clearPositions() {
        this.first = 0;
        this.size = 0;
    }

    private int index(int offset) {
        return (this.first + offset) % CAPACITY;
    }

}
