package io.nexs.postgres.topology;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrimaryPositionsTests {

    private final PrimaryPositions positions = new PrimaryPositions();

    @Test
    void lagIsUnknownBeforeThePrimaryWasSeen() {
        assertThat(this.positions.lagNanos(100, 1_000)).isEqualTo(-1);
    }

    @Test
    void aReplicaThatReplayedWhatThePrimaryLastWroteHasNoLag() {
        this.positions.record(100, 1_000);
        this.positions.record(200, 2_000);
        assertThat(this.positions.lagNanos(200, 9_000)).isZero();
        assertThat(this.positions.lagNanos(250, 9_000)).isZero();
    }

    @Test
    void lagCountsFromWhenThePrimaryFirstPassedTheReplayPosition() {
        this.positions.record(100, 1_000);
        this.positions.record(200, 2_000);
        this.positions.record(300, 3_000);
        assertThat(this.positions.lagNanos(150, 5_000)).isEqualTo(3_000);
        assertThat(this.positions.lagNanos(250, 5_000)).isEqualTo(2_000);
        assertThat(this.positions.lagNanos(50, 5_000)).as("older than the history: at least that old")
            .isEqualTo(4_000);
    }

    @Test
    void anUnchangedPositionKeepsTheTimeItWasFirstSeen() {
        this.positions.record(100, 1_000);
        this.positions.record(200, 2_000);
        this.positions.record(200, 8_000);
        assertThat(this.positions.lagNanos(150, 10_000)).isEqualTo(8_000);
    }

    @Test
    void aPrimaryBehindTheLastOneStartsAFreshHistory() {
        this.positions.record(500, 1_000);
        this.positions.record(300, 2_000);
        assertThat(this.positions.lagNanos(200, 5_000)).isEqualTo(3_000);
        assertThat(this.positions.lagNanos(300, 5_000)).isZero();
    }

    @Test
    void theHistoryKeepsTheNewestPositionsWhenFull() {
        for (int i = 1; i <= 2_000; i++) {
            this.positions.record(i * 10L, i * 100L);
        }
        assertThat(this.positions.lagNanos(19_995, 300_000)).isEqualTo(300_000 - 200_000);
        assertThat(this.positions.lagNanos(5, 300_000)).as("the oldest kept is a lower bound")
            .isEqualTo(300_000 - 97_700);
    }

}
