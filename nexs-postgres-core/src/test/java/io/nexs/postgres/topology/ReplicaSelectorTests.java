package io.nexs.postgres.topology;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.PoolSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each load-balancing mode's selector, on nodes whose pools never connect: a selector only reads the nodes'
 * definitions and snapshots.
 */
class ReplicaSelectorTests {

    private final List<NodePool> pools = new ArrayList<>();

    @AfterEach
    void closePools() {
        this.pools.forEach(NodePool::close);
    }

    @Test
    void eachModeHasItsSelector() {
        assertThat(LoadBalancing.ROUND_ROBIN.newSelector()).isInstanceOf(RoundRobinSelector.class);
        assertThat(LoadBalancing.RANDOM.newSelector()).isInstanceOf(RandomSelector.class);
        assertThat(LoadBalancing.WEIGHTED.newSelector()).isInstanceOf(WeightedSelector.class);
        assertThat(LoadBalancing.LATENCY.newSelector()).isInstanceOf(LatencySelector.class);
    }

    @Test
    void roundRobinTakesEachInTurn() {
        List<ClusterNode> nodes = List.of(node("a", 1, -1), node("b", 1, -1), node("c", 1, -1));
        ReplicaSelector selector = new RoundRobinSelector();
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picked.add(selector.select(nodes).name());
        }
        assertThat(picked).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void randomReachesEveryCandidate() {
        List<ClusterNode> nodes = List.of(node("a", 1, -1), node("b", 1, -1));
        assertThat(counts(new RandomSelector(), nodes, 400)).containsOnlyKeys("a", "b");
    }

    @Test
    void weightedFollowsTheWeights() {
        List<ClusterNode> nodes = List.of(node("light", 1, -1), node("heavy", 9, -1));
        Map<String, Integer> counts = counts(new WeightedSelector(), nodes, 5000);
        // 10% and 90% expected; far from either bound by many standard deviations
        assertThat(counts.getOrDefault("light", 0)).isBetween(300, 800);
        assertThat(counts.get("heavy")).isBetween(4200, 4700);
    }

    @Test
    void latencyPrefersTheFastestMeasuredNode() {
        ReplicaSelector selector = new LatencySelector();
        assertThat(selector.select(List.of(node("slow", 1, 5_000_000), node("fast", 1, 1_000_000))).name())
            .isEqualTo("fast");
        assertThat(selector.select(List.of(node("unmeasured", 1, -1), node("measured", 1, 9_000_000))).name())
            .isEqualTo("measured");
        assertThat(selector.select(List.of(node("first", 1, -1), node("second", 1, -1))).name())
            .as("nothing measured: the first configured").isEqualTo("first");
    }

    @Test
    void aSingleCandidateIsChosenByEveryMode() {
        ClusterNode only = node("only", 1, -1);
        for (LoadBalancing mode : LoadBalancing.values()) {
            assertThat(mode.newSelector().select(List.of(only))).as(mode.name()).isSameAs(only);
        }
    }

    private static Map<String, Integer> counts(ReplicaSelector selector, List<ClusterNode> nodes, int reads) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < reads; i++) {
            counts.merge(selector.select(nodes).name(), 1, Integer::sum);
        }
        return counts;
    }

    private ClusterNode node(String name, int weight, long latencyNanos) {
        // no idle connections and no warm-up: the pool never connects to the address, which nobody listens on
        PoolSettings settings = new PoolSettings(0, 1, Duration.ofSeconds(1), Duration.ofMinutes(10),
                Duration.ofMinutes(30), Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO, false, false,
                Duration.ZERO);
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress("127.0.0.1", 1),
                "jdbc:postgresql://127.0.0.1:1/postgres", null, null, Map.of());
        NodeDefinition definition = new NodeDefinition(name, connection, settings, weight, Set.of());
        NodePool pool = new NodePool(name, connection, settings, List.of());
        this.pools.add(pool);
        ClusterNode node = new ClusterNode(definition, pool);
        node.publish(new NodeSnapshot(NodeState.HEALTHY, NodeRole.REPLICA, 1, 0, 0, latencyNanos, 0, Instant.now(),
                null, "18", false, false));
        return node;
    }

}
