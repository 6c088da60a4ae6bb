package io.nexs.postgres.topology;

/**
 * The primary's WAL positions as its checks saw them, each with the time it was first seen: how far a replica's
 * replay trails is then the time since the primary first passed the replica's replay position. This measures
 * replay, not commits: a replica keeping up with a long bulk load shows no lag, and one whose replay is paused
 * shows lag that grows even when no transaction commits. The estimate is a lower bound, short by at most one
 * check interval. Not thread-safe; the topology guards it with its lock.
 */
final class PrimaryPositions {

    /** About a quarter of an hour of a busy primary checked every second. */
    private static final int CAPACITY = 1024;

    private final long[] positions = new long[CAPACITY];

    private final long[] times = new long[CAPACITY];

    private int first;

    private int size;

    /**
     * Records a position of the writable primary.
     * @param position its WAL position
     * @param nanos when it was seen, {@link System#nanoTime()}
     */
    void record(long position, long nanos) {
        if (position < 0) {
            return;
        }
        if (this.size > 0) {
            long last = this.positions[index(this.size - 1)];
            if (position == last) {
                return;
            }
            if (position < last) {
                // another primary, behind the last one: positions from before do not compare
                clear();
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
     * @param nanos now, {@link System#nanoTime()}
     * @return the lag in nanoseconds, 0 when it has replayed everything the primary was last seen writing, -1 when
     * unknown
     */
    long lagNanos(long replayed, long nanos) {
        if (this.size == 0 || replayed < 0) {
            return -1;
        }
        if (replayed >= this.positions[index(this.size - 1)]) {
            return 0;
        }
        for (int i = 0; i < this.size; i++) {
            int slot = index(i);
            if (this.positions[slot] > replayed) {
                return Math.max(0, nanos - this.times[slot]);
            }
        }
        return 0;
    }

    void clear() {
        this.first = 0;
        this.size = 0;
    }

    private int index(int offset) {
        return (this.first + offset) % CAPACITY;
    }

}
