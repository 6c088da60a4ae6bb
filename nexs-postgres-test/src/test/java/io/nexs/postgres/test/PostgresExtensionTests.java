package io.nexs.postgres.test;

import static io.nexs.postgres.test.PostgresNodeTests.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresExtensionTests {

    private static PostgresNode nodeOfBeforeAll;

    private final PostgresNode nodeOfConstructor;

    PostgresExtensionTests(PostgresNode node) {
        this.nodeOfConstructor = node;
    }

    @BeforeAll
    static void rememberNode(PostgresNode node) {
        nodeOfBeforeAll = node;
    }

    @Test
    @Order(1)
    void injectsARunningNode(PostgresNode node) throws SQLException {
        assertThat(node).isSameAs(nodeOfBeforeAll).isSameAs(nodeOfConstructor);
        assertThat(node.isRunning()).isTrue();
        try (Connection connection = node.connect()) {
            assertThat(query(connection, "select 1")).isEqualTo("1");
        }
    }

    @Test
    @Order(2)
    void injectsTheSameNodeIntoEveryTestOfTheClass(PostgresNode node) {
        assertThat(node).isSameAs(nodeOfBeforeAll);
    }

    @Test
    @Order(3)
    void injectsAClusterWithTheRequestedShape(@ClusterSpec(standbys = 1, synchronous = true) PostgresCluster cluster)
            throws SQLException {
        assertThat(cluster.standbys()).hasSize(1);
        try (Connection primary = cluster.primary().connect()) {
            assertThat(query(primary, "select sync_state from pg_stat_replication")).isEqualTo("sync");
        }
        try (Connection standby = cluster.standbys().get(0).connect()) {
            assertThat(query(standby, "select pg_is_in_recovery()")).isEqualTo("t");
        }
    }

    @Test
    @Order(4)
    void injectsTheSameClusterForTheSameSpec(@ClusterSpec(synchronous = true) PostgresCluster cluster,
            PostgresNode node) {
        assertThat(cluster.primary()).isNotSameAs(node);
        assertThat(cluster.isSynchronous()).isTrue();
        assertThat(cluster.primary().isRunning()).isTrue();
    }
}
