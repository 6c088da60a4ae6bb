package io.nexs.postgres.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.nexs.postgres.topology.Election.Candidate;
import io.nexs.postgres.topology.Election.Memory;
import io.nexs.postgres.topology.Election.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The election decisions, given facts, without a server. A node is written {@code name role state timeline}, with
 * an optional replay lag in milliseconds ({@code lag=1500}, {@code lag=-1} for not measured; left out, the lag is
 * 0); nodes are separated by {@code ;}. The lag limit is one second unless a case says otherwise.
 */
class ElectionTests {

    private static final Election ELECTION = new Election(true, Duration.ofSeconds(1));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # case                                    | nodes                                                                     | newest timeline seen | writes to | reads from | split-brain | stale
            healthy cluster                           | a primary healthy 1; b replica healthy 1; c replica healthy 1             | 1 | a | b c | false | -
            primary lost                              | a primary unhealthy 1; b replica healthy 1                                | 1 | - | b   | false | -
            replica promoted after the primary's loss | a primary unhealthy 1; b primary healthy 2                                | 1 | b | -   | false | -
            two primaries on the same timeline        | a primary healthy 1; b primary healthy 1; c replica healthy 1             | 1 | - | c   | true  | -
            two primaries on different timelines      | a primary healthy 1; b primary healthy 2; c replica healthy 1             | 1 | b | -   | true  | a c
            replica follows the newer of two primaries| a primary healthy 1; b primary healthy 2; c replica healthy 2             | 1 | b | c   | true  | a
            old primary comes back after a failover   | a primary recovering 1; b primary healthy 2                               | 2 | b | -   | false | a
            old primary alone remembers a newer one   | a primary healthy 1; b replica unhealthy 2                                | 2 | - | -   | false | a
            unhealthy old primary is not stale        | a primary unhealthy 1; b primary healthy 2                                | 2 | b | -   | false | -
            replica on an old timeline reads nothing  | a primary healthy 2; b replica healthy 1                                  | 2 | a | -   | false | b
            old timeline from the promotion's check   | a primary unhealthy 1; b primary healthy 2; c replica healthy 1           | 1 | b | -   | false | c
            replica pointed at the promoted primary   | a primary unhealthy 1; b primary healthy 2; c replica healthy 2           | 1 | b | c   | false | -
            old-timeline replica, no primary up       | a primary unhealthy 2; b replica healthy 1                                | 2 | - | -   | false | b
            unhealthy replica on an old timeline      | a primary healthy 2; b replica unhealthy 1                                | 2 | a | -   | false | -
            replica whose timeline cannot be told     | a primary healthy 2; b replica healthy 0                                  | 2 | a | b   | false | -
            replica lag below max-lag                 | a primary healthy 1; b replica healthy 1 lag=900                          | 1 | a | b   | false | -
            replica lag at max-lag                    | a primary healthy 1; b replica healthy 1 lag=1000                         | 1 | a | b   | false | -
            replica lag above max-lag                 | a primary healthy 1; b replica healthy 1 lag=1500; c replica healthy 1    | 1 | a | c   | false | -
            replica lag not known yet                 | a primary healthy 1; b replica healthy 1 lag=-1; c replica healthy 1 lag=0 | 1 | a | c   | false | -
            no replica lag known yet                  | a primary healthy 1; b replica healthy 1 lag=-1; c replica healthy 1 lag=-1 | 1 | a | -   | false | -
            primary in maintenance                    | a primary maintenance 1; b replica healthy 1                              | 1 | - | b   | false | -
            replica in maintenance                    | a primary healthy 1; b replica maintenance 1; c replica healthy 1         | 1 | a | c   | false | -
            recovering replica does not read yet      | a primary healthy 1; b replica recovering 1                               | 1 | a | -   | false | -
            all nodes down                            | a primary unhealthy 1; b replica unhealthy 1; c unknown unhealthy 0       | 1 | - | -   | false | -
            nothing checked yet                       | a unknown unhealthy 0; b unknown unhealthy 0                              | 0 | - | -   | false | -
            timeline not readable                     | a primary healthy 0; b replica healthy 0                                  | 3 | a | b   | false | -
            """)
    void decides(String description, String nodes, long newestSeen, String writesTo, String readsFrom,
            boolean splitBrain, String stale) {
        Outcome outcome = ELECTION.decide(parse(nodes), new Memory(newestSeen, null, null));
        assertThat(outcome.primary()).as("writes").isEqualTo(writesTo);
        assertThat(outcome.readable()).as("reads").isEqualTo(names(readsFrom));
        assertThat(outcome.splitBrain()).as("split-brain").isEqualTo(splitBrain);
        assertThat(outcome.stale()).as("stale").isEqualTo(Set.copyOf(names(stale)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # case                                       | nodes                                         | writes went to | writes to | displaced | fenced
            primary stays                                | a primary healthy 1; b replica healthy 1      | a | a | - | false
            primary lost                                 | a primary unhealthy 1; b replica healthy 1    | a | - | a | true
            newer primary takes over a live one          | a primary healthy 1; b primary healthy 2      | a | b | a | true
            second primary on the same timeline          | a primary healthy 1; b primary healthy 1      | a | - | a | true
            primary put in maintenance keeps its session | a primary maintenance 1; b replica healthy 1  | a | - | a | false
            first primary seen                           | a primary healthy 1; b replica healthy 1      | - | a | - | false
            """)
    void fencesThePrimaryWritesLeave(String description, String nodes, String before, String writesTo,
            String displaced, boolean fenced) {
        Outcome outcome = ELECTION.decide(parse(nodes), new Memory(1, null, before));
        assertThat(outcome.primary()).as("writes").isEqualTo(writesTo);
        assertThat(outcome.displaced()).as("displaced").isEqualTo(displaced);
        assertThat(outcome.fenceDisplaced()).as("fenced").isEqualTo(fenced);
        assertThat(outcome.primaryChanged(before)).as("changed").isEqualTo(displaced != null || before == null);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # case                            | nodes                                                              | max-lag ms | reads from | withheld from b
            lag known and within max-lag      | a primary healthy 1; b replica healthy 1 lag=300                   | 1000 | b | -
            lag above max-lag                 | a primary healthy 1; b replica healthy 1 lag=1500                  | 1000 | - | replay lag above max-lag (1000 ms)
            lag not measured yet              | a primary healthy 1; b replica healthy 1 lag=-1                    | 1000 | - | replay lag not measured yet
            lag not measured, no max-lag      | a primary healthy 1; b replica healthy 1 lag=-1                    | -    | b | -
            lag far above, no max-lag         | a primary healthy 1; b replica healthy 1 lag=99000                 | -    | b | -
            old timeline, no max-lag          | a primary healthy 2; b replica healthy 1 lag=0                     | -    | - | follows timeline 1, older than timeline 2 of the newest primary
            old timeline and unknown lag      | a primary healthy 2; b replica healthy 1 lag=-1                    | 1000 | - | follows timeline 1, older than timeline 2 of the newest primary
            recovering replica is not listed  | a primary healthy 1; b replica recovering 1 lag=-1                 | 1000 | - | -
            """)
    void saysWhyAHealthyReplicaServesNoReads(String description, String nodes, Long maxLagMillis, String readsFrom,
            String withheld) {
        Election election = new Election(true, (maxLagMillis != null) ? Duration.ofMillis(maxLagMillis) : null);
        Outcome outcome = election.decide(parse(nodes), new Memory(1, null, null));
        assertThat(outcome.readable()).as("reads").isEqualTo(names(readsFrom));
        assertThat(outcome.withheld().get("b")).as("why not b").isEqualTo(withheld);
        assertThat(outcome.withheld()).as("only b is named").containsOnlyKeys((withheld != null) ? Set.of("b")
                : Set.of());
    }

    @Test
    void aReplicaLeftOnTheOldTimelineIsStaleFromTheFirstDecisionThatSeesThePromotion() {
        Outcome before = ELECTION.decide(parse("a primary healthy 1; b replica healthy 1 lag=0; c replica healthy 1 lag=0"),
                Memory.NONE);
        assertThat(before.readable()).containsExactly("b", "c");
        Outcome promoted = ELECTION.decide(parse("a primary unhealthy 1; b primary healthy 2; c replica healthy 1 lag=0"),
                before.memory());
        assertThat(promoted.primary()).isEqualTo("b");
        assertThat(promoted.readable()).isEmpty();
        assertThat(promoted.stale()).containsExactly("c");
        Outcome primaryGone = ELECTION.decide(parse("a primary unhealthy 1; b primary unhealthy 2; c replica healthy 1 lag=0"),
                promoted.memory());
        assertThat(primaryGone.readable()).as("the newest timeline is remembered").isEmpty();
        Outcome repointed = ELECTION.decide(parse("a primary unhealthy 1; b primary healthy 2; c replica healthy 2 lag=0"),
                primaryGone.memory());
        assertThat(repointed.readable()).containsExactly("c");
        assertThat(repointed.stale()).isEmpty();
    }

    @Test
    void remembersTheNewestTimelineSoAnOldPrimaryStaysFencedWhenItIsAlone() {
        Outcome failover = ELECTION.decide(parse("a primary unhealthy 1; b primary healthy 2"), Memory.NONE);
        assertThat(failover.memory().highestTimeline()).isEqualTo(2);
        Outcome later = ELECTION.decide(parse("a primary healthy 1; b primary unhealthy 2"), failover.memory());
        assertThat(later.primary()).isNull();
        assertThat(later.stale()).containsExactly("a");
    }

    @Test
    void withoutFailoverWritesStayWithTheFirstPrimarySeen() {
        Election pinned = new Election(false, null);
        Outcome first = pinned.decide(parse("a primary healthy 1; b replica healthy 1"), Memory.NONE);
        assertThat(first.primary()).isEqualTo("a");
        Outcome lost = pinned.decide(parse("a primary unhealthy 1; b primary healthy 2"), first.memory());
        assertThat(lost.primary()).as("no failover to b").isNull();
        assertThat(lost.fenceDisplaced()).as("nothing is cut without failover").isFalse();
        Outcome back = pinned.decide(parse("a primary healthy 2; b replica healthy 2"), lost.memory());
        assertThat(back.primary()).isEqualTo("a");
    }

    @Test
    void forgetsTimelinesOfRemovedNodes() {
        assertThat(Election.newestPrimaryTimeline(parse("a primary unhealthy 3; b replica healthy 4"))).isEqualTo(3);
        assertThat(Election.newestPrimaryTimeline(parse("b replica healthy 4"))).isZero();
    }

    @ParameterizedTest(name = "{0} after {1} {2} in a row, initial {3}: {4}")
    @CsvSource(delimiter = '|', textBlock = """
            # before    | answered | in a row | initial | after
            unhealthy   | true     | 1        | true    | healthy
            healthy     | false    | 1        | true    | unhealthy
            healthy     | false    | 1        | false   | healthy
            healthy     | false    | 2        | false   | unhealthy
            healthy     | true     | 5        | false   | healthy
            unhealthy   | true     | 1        | false   | recovering
            recovering  | true     | 2        | false   | healthy
            recovering  | false    | 1        | false   | unhealthy
            unhealthy   | false    | 7        | false   | unhealthy
            maintenance | false    | 3        | false   | maintenance
            maintenance | true     | 3        | false   | maintenance
            """)
    void judgesEachCheckAgainstAThresholdOfTwo(String before, boolean answered, int inARow, boolean initial,
            String after) {
        assertThat(Election.verdict(state(before), answered, inARow, initial, 2)).isEqualTo(state(after));
    }

    private static List<Candidate> parse(String nodes) {
        List<Candidate> parsed = new ArrayList<>();
        for (String node : nodes.split(";")) {
            String[] parts = node.trim().split("\\s+");
            long lagNanos = 0;
            if (parts.length > 4) {
                long lagMillis = Long.parseLong(parts[4].substring("lag=".length()));
                lagNanos = (lagMillis < 0) ? -1 : Duration.ofMillis(lagMillis).toNanos();
            }
            parsed.add(new Candidate(parts[0], state(parts[2]), NodeRole.valueOf(parts[1].toUpperCase(Locale.ROOT)),
                    Long.parseLong(parts[3]), lagNanos));
        }
        return parsed;
    }

    private static NodeState state(String label) {
        return NodeState.valueOf(label.trim().toUpperCase(Locale.ROOT));
    }

    private static List<String> names(String names) {
        return (names == null) ? List.of() : Arrays.asList(names.trim().split("\\s+"));
    }

}
