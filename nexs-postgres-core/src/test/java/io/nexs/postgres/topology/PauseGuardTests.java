package io.nexs.postgres.topology;

import java.time.Duration;

import io.nexs.postgres.topology.ClusterMonitor.PauseGuard;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the monitor tells a check that failed because this JVM stood still from one that failed because the server did
 * not answer, without a server: the outcomes and durations are given. The check timeout is 700 ms throughout, so a
 * check overruns past 1,050 ms.
 */
class PauseGuardTests {

    private static final long MS = 1_000_000L;

    private final PauseGuard guard = new PauseGuard(Duration.ofMillis(700));

    @Test
    void aFailedCheckThatOverranBecauseTheJvmStoodStillIsSetAside() {
        // a 1.5 s freeze while the check waited for its answer
        assertThat(this.guard.setAside(false, 1_520 * MS)).isTrue();
    }

    @Test
    void aCheckThatTimedOutOnTimeCounts() {
        // a hung server: the check gives up when its timeout runs out, give or take the scheduler
        assertThat(this.guard.setAside(false, 705 * MS)).isFalse();
        assertThat(this.guard.setAside(false, 1_000 * MS)).isFalse();
        // a refused connection fails at once
        assertThat(this.guard.setAside(false, 2 * MS)).isFalse();
    }

    @Test
    void aPassedCheckIsNeverSetAside() {
        assertThat(this.guard.setAside(true, 3_000 * MS)).isFalse();
    }

    @Test
    void onlyOneFailedCheckInARowIsSetAsideSoAStarvedProcessStillFindsADeadServer() {
        assertThat(this.guard.setAside(false, 1_600 * MS)).isTrue();
        assertThat(this.guard.setAside(false, 1_600 * MS)).isFalse();
        assertThat(this.guard.setAside(false, 1_600 * MS)).isTrue();
        assertThat(this.guard.setAside(false, 1_600 * MS)).isFalse();
    }

    @Test
    void aCountedFailureOrAPassedCheckLetsTheNextOverrunBeSetAsideAgain() {
        assertThat(this.guard.setAside(false, 1_600 * MS)).isTrue();
        assertThat(this.guard.setAside(true, 3 * MS)).isFalse();
        assertThat(this.guard.setAside(false, 1_600 * MS)).isTrue();
        assertThat(this.guard.setAside(false, 700 * MS)).isFalse();
        assertThat(this.guard.setAside(false, 1_600 * MS)).isTrue();
    }

}
