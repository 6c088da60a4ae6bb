package io.nexs.postgres.topology;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lag from the primary's positions and clock and the replica's last replayed commit. Times are
 * {@link System#nanoTime()} values in nanoseconds; the primary's clock is in microseconds since the epoch.
 */
class PrimaryPositionsTests {

    private static final long NO_TIME = NodeCheck.NO_TIME;

    private final PrimaryPositions positions = new PrimaryPositions();

    private final Object primary = "primary";

    @Test
    void lagIsUnknownBeforeThePrimaryWasSeen() {
        assertThat(this.positions.lagNanos(100, 5_000_000, 1_000)).isEqualTo(-1);
    }

    @Test
    void aReplicaThatReplayedWhatThePrimaryLastWroteHasNoLagWhateverItsLastCommit() {
        record(100, 1_000);
        record(200, 2_000);
        assertThat(this.positions.lagNanos(200, NO_TIME, 9_000)).isZero();
        assertThat(this.positions.lagNanos(250, 1, 9_000)).as("an idle primary committed long ago").isZero();
    }

    @Test
    void lagCountsFromWhenThePrimaryFirstPassedTheReplayPosition() {
        record(100, 1_000);
        record(200, 2_000);
        record(300, 3_000);
        assertThat(this.positions.lagNanos(150, NO_TIME, 5_000)).isEqualTo(3_000);
        assertThat(this.positions.lagNanos(250, NO_TIME, 5_000)).isEqualTo(2_000);
    }

    @Test
    void withinTheHistoryAnOldLastCommitDoesNotCount() {
        // a near-idle primary: its last commit long ago, then a record without commit the replica has yet to replay
        this.positions.record(this.primary, 100, 1_000_000_000, 1_000);
        this.positions.record(this.primary, 200, 1_000_000_000, 2_000);
        assertThat(this.positions.lagNanos(100, 1, 5_000)).isEqualTo(3_000);
    }

    @Test
    void aReplicaBehindTheWholeHistoryIsAsOldAsItsLastReplayedCommitOnThePrimarysClock() {
        // the primary's clock read 10 s past the epoch when it was first seen, 2 µs after the history began
        this.positions.record(this.primary, 500, 10_000_000, 2_000);
        // 3 ms later, the replica's last replayed commit was at 4 s on the primary's clock
        assertThat(this.positions.lagNanos(100, 4_000_000, 3_002_000)).isEqualTo(6_003_000_000L);
    }

    @Test
    void aReplicaBehindTheWholeHistoryIsAtLeastAsOldAsTheHistory() {
        this.positions.record(this.primary, 500, 10_000_000, 1_000);
        this.positions.record(this.primary, 600, 10_000_100, 5_001_000);
        // its last commit is newer than the primary's clock says (clocks stepped): the history still tells
        assertThat(this.positions.lagNanos(100, 10_000_200, 9_001_000)).isEqualTo(9_000_000);
    }

    @Test
    void aReplicaBehindTheWholeHistoryThatReplayedNoCommitHasAnUnknownLag() {
        this.positions.record(this.primary, 500, 10_000_000, 1_000);
        assertThat(this.positions.lagNanos(100, NO_TIME, 9_000)).isEqualTo(-1);
        assertThat(this.positions.lagNanos(500, NO_TIME, 9_000)).isZero();
    }

    @Test
    void anUnchangedPositionKeepsTheTimeItWasFirstSeen() {
        record(100, 1_000);
        record(200, 2_000);
        record(200, 8_000);
        assertThat(this.positions.lagNanos(150, NO_TIME, 10_000)).isEqualTo(8_000);
    }

    @Test
    void aPrimaryBehindTheLastOneStartsAFreshHistory() {
        record(500, 1_000);
        record(300, 2_000);
        assertThat(this.positions.lagNanos(200, NO_TIME, 5_000)).as("behind the new history, no commit").isEqualTo(-1);
        assertThat(this.positions.lagNanos(300, NO_TIME, 5_000)).isZero();
    }

    @Test
    void anotherPrimaryStartsAFreshHistory() {
        record(100, 1_000);
        record(200, 2_000);
        this.positions.record("promoted", 250, 50_000_000, 3_000);
        assertThat(this.positions.lagNanos(150, NO_TIME, 5_000)).as("positions of the old primary are gone")
            .isEqualTo(-1);
        assertThat(this.positions.lagNanos(150, 49_000_000, 3_000)).isEqualTo(1_000_000_000);
        assertThat(this.positions.lagNanos(250, NO_TIME, 5_000)).isZero();
    }

    @Test
    void theHistoryKeepsTheNewestPositionsWhenFull() {
        for (int i = 1; i <= 2_000; i++) {
            record(i * 10L, i * 100L);
        }
        assertThat(this.positions.lagNanos(19_995, NO_TIME, 300_000)).isEqualTo(300_000 - 200_000);
        assertThat(this.positions.lagNanos(5, NO_TIME, 300_000)).as("behind the oldest kept, no commit").isEqualTo(-1);
    }

    private void record(long position, long nanos) {
        this.positions.record(this.primary, position, NO_TIME, nanos);
    }

}
