package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;

/** Runs a test class through the JUnit engine to see that the extension closes its servers afterwards. */
class ExtensionLifecycleTests {

    static final List<PostgresNode> NODES = new ArrayList<>();

    static final List<PostgresCluster> CLUSTERS = new ArrayList<>();

    @Test
    void serversAreClosedAfterTheTestClass() {
        NODES.clear();
        CLUSTERS.clear();

        EngineTestKit.engine("junit-jupiter").selectors(selectClass(Inner.class)).execute().testEvents()
                .assertStatistics((stats) -> stats.succeeded(2).failed(0));

        assertThat(NODES).hasSize(2).allSatisfy((node) -> {
            assertThat(node).isSameAs(NODES.get(0));
            assertThat(node.isRunning()).isFalse();
            assertThat(node.nodeDirectory()).doesNotExist();
        });
        assertThat(CLUSTERS).singleElement().satisfies((cluster) -> assertThat(cluster.nodes())
                .allSatisfy((node) -> assertThat(node.nodeDirectory()).doesNotExist()));
    }

    @ExtendWith(PostgresExtension.class)
    static class Inner {

        @Test
        void first(PostgresNode node, PostgresCluster cluster) {
            NODES.add(node);
            CLUSTERS.add(cluster);
        }

        @Test
        void second(PostgresNode node) {
            NODES.add(node);
        }
    }
}
