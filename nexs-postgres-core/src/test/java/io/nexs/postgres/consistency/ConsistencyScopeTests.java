package io.nexs.postgres.consistency;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Tokens and scopes, with no server: the routing's side is in {@code ReadYourWritesTests}.
 */
class ConsistencyScopeTests {

    @Test
    void aTokenReadsAndWritesPostgresTextFormOfAWalPosition() {
        ConsistencyToken token = ConsistencyToken.parse("16/B374D848");
        assertThat(token.position()).isEqualTo(0x16B374D848L);
        assertThat(token).hasToString("16/B374D848");
        assertThat(ConsistencyToken.parse("0/1")).isEqualTo(new ConsistencyToken(1));
        assertThat(ConsistencyToken.parse("7fffffff/ffffffff").position()).isEqualTo(Long.MAX_VALUE);
        assertThat(ConsistencyToken.parse("7fffffff/ffffffff").covers(ConsistencyToken.parse("1/0"))).isTrue();
        assertThat(ConsistencyToken.parse("1/0").max(ConsistencyToken.parse("0/FFFFFFFF"))).hasToString("1/0");
    }

    @Test
    void textThatIsNotAWalPositionIsRejectedWithoutBeingQuoted() {
        for (String text : List.of("", "/", "1/", "/1", "0/0", "1/-1", "+1/1", "123456789/1", "1/123456789",
                "x/1", "1 /1", "16B374D848", "80000000/0", "ffffffff/ffffffff")) {
            assertThatIllegalArgumentException().isThrownBy(() -> ConsistencyToken.parse(text))
                .withMessage("A consistency token is a WAL position such as 16/B374D848");
        }
    }

    @Test
    void scopesNestAndTheEnclosingScopeLearnsTheWritesMadeInside() {
        List<ConsistencyToken> advances = new ArrayList<>();
        try (ConsistencyScope outer = ConsistencyScope.open(ConsistencyToken.parse("0/10"))) {
            outer.onAdvance(advances::add);
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.EVENTUAL)).isEqualTo(0x10);
            try (ConsistencyScope inner = ConsistencyScope.open(ReadConsistency.EVENTUAL, null)) {
                assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isZero();
                assertThat(ConsistencyScope.tracksWrites(ReadConsistency.READ_YOUR_WRITES)).isFalse();
                ConsistencyScope.recordWrite(0x20);
                assertThat(inner.token()).hasToString("0/20");
            }
            assertThat(outer.token()).hasToString("0/20");
            ConsistencyScope.recordWrite(0x18);
            assertThat(outer.token()).hasToString("0/20");
            assertThat(ConsistencyScope.readYourWrites(() -> ConsistencyScope.requiredPosition(
                    ReadConsistency.EVENTUAL))).isEqualTo(0x20);
        }
        assertThat(advances).extracting(ConsistencyToken::toString).containsExactly("0/20");
    }

    @Test
    void theConfiguredLevelAppliesOutsideScopesAndTheThreadKeepsItsOwnWrites() throws Exception {
        // on a thread of its own: the thread's scope lasts as long as the thread
        CompletableFuture.runAsync(this::threadScope, (work) -> new Thread(work).start()).get();
    }

    private void threadScope() {
        assertThat(ConsistencyScope.level(ReadConsistency.EVENTUAL)).isEqualTo(ReadConsistency.EVENTUAL);
        assertThat(ConsistencyScope.tracksWrites(ReadConsistency.READ_YOUR_WRITES)).isTrue();
        ConsistencyScope.recordWrite(0x30);
        assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isEqualTo(0x30);
        assertThat(ConsistencyScope.requiredPosition(ReadConsistency.EVENTUAL)).isZero();
        try (ConsistencyScope request = ConsistencyScope.open(null)) {
            // a scope opened after a write of the thread still sees that write
            assertThat(request.token()).hasToString("0/30");
        }
        try (ConsistencyScope older = ConsistencyScope.open(ConsistencyToken.parse("0/20"))) {
            // a token older than the thread's own last write does not make the scope forget it
            assertThat(older.token()).hasToString("0/30");
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.EVENTUAL)).isEqualTo(0x30);
        }
        try (ConsistencyScope newer = ConsistencyScope.open(ConsistencyToken.parse("0/40"))) {
            assertThat(newer.token()).hasToString("0/40");
        }
        try (ConsistencyScope eventual = ConsistencyScope.open(ReadConsistency.EVENTUAL, null)) {
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isZero();
        }
    }

    @Test
    void aWriteOfUnknownPositionIsSettledByTheNextPositionLearnt() {
        try (ConsistencyScope scope = ConsistencyScope.open(null)) {
            ConsistencyScope.recordUnknownWrite();
            assertThat(ConsistencyScope.isUnsettled()).isTrue();
            ConsistencyScope.recordWrite(0x40);
            assertThat(ConsistencyScope.isUnsettled()).isFalse();
            assertThat(scope.token()).hasToString("0/40");
        }
    }

    @Test
    void theThreadForgetsItsOwnWritesOnceTheWindowHasPassedSinceTheLast() throws Exception {
        CompletableFuture.runAsync(() -> {
            ConsistencyScope.recordWrite(0x50, Duration.ofMillis(200));
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isEqualTo(0x50);
            assertThat(ConsistencyScope.currentToken()).hasValueSatisfying((token) -> assertThat(token)
                .hasToString("0/50"));
            await().pollInSameThread()
                .atMost(Duration.ofSeconds(5))
                .until(() -> ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES) == 0);
            assertThat(ConsistencyScope.currentToken()).isEmpty();
            // a write of unknown position is forgotten the same way
            ConsistencyScope.recordUnknownWrite(Duration.ZERO);
            await().pollInSameThread().atMost(Duration.ofSeconds(5)).until(() -> !ConsistencyScope.isUnsettled());
        }, (work) -> new Thread(work).start()).get();
    }

    @Test
    void aScopeOpenedOnTheThreadKeepsItsWritesUntilClosedAndHandsThemToTheThreadForItsWindow() throws Exception {
        CompletableFuture.runAsync(() -> {
            try (ConsistencyScope request = ConsistencyScope.open(null)) {
                ConsistencyScope.recordWrite(0x60, Duration.ZERO);
                assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isEqualTo(0x60);
            }
            // the request's scope had no enclosing one: its writes leave with it, the token carries them on
            assertThat(ConsistencyScope.currentToken()).isEmpty();
            ConsistencyScope.recordWrite(0x70, Duration.ofMinutes(1));
            try (ConsistencyScope nested = ConsistencyScope.open(null)) {
                ConsistencyScope.recordWrite(0x80, Duration.ofMillis(100));
            }
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isEqualTo(0x80);
            // the thread's scope lasts the window of the write it learnt last
            await().pollInSameThread()
                .atMost(Duration.ofSeconds(5))
                .until(() -> ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES) == 0);
        }, (work) -> new Thread(work).start()).get();
    }

}
