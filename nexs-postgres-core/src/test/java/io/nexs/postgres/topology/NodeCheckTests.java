package io.nexs.postgres.topology;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The timeline a replica's check reports.
 */
class NodeCheckTests {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # case                                                  | restartpoint | received | receiving | timeline
            streams the timeline of its restartpoint                 | 1 | 1 | true  | 1
            pointed at a promoted primary, restartpoint not yet moved | 1 | 2 | true  | 2
            streams, but the user may not see from which timeline    | 1 | 0 | true  | 0
            left behind by a promotion, streams from nothing         | 1 | 0 | false | 1
            nothing readable                                         | 0 | 0 | false | 0
            no restartpoint readable, streams timeline 3             | 0 | 3 | true  | 3
            """)
    void aReplicaFollowsTheTimelineItStreamsElseThatOfItsLastRestartpoint(String description,
            long checkpointTimeline, long receivedTimeline, boolean receiving, long timeline) {
        assertThat(NodeCheck.replicaTimeline(checkpointTimeline, receivedTimeline, receiving)).isEqualTo(timeline);
    }

}
