package io.nexs.postgres.test;

import static io.nexs.postgres.test.PostgresNodeTests.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class PostgresClusterTests {

    private static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(15);

    @Test
    void withAPasswordTheStandbyStreamsWithItAndTrustIsNotGranted() throws SQLException {
        String password = "it's a \\ secret";
        try (PostgresCluster cluster = PostgresCluster.builder().password(password).durable(false).start()) {
            PostgresNode standby = cluster.standbys().get(0);
            assertThat(standby.password()).isEqualTo(password);
            try (Connection primary = cluster.primary().connect();
                    Statement statement = primary.createStatement()) {
                assertThat(query(primary, "select count(*) from pg_hba_file_rules where auth_method = 'trust'"))
                    .isEqualTo("0");
                statement.execute("create table secured (id int)");
            }
            cluster.awaitReplay(standby, REPLAY_TIMEOUT);
            try (Connection connection = standby.connect()) {
                assertThat(query(connection, "select count(*) from secured")).isEqualTo("0");
            }
        }
    }

    @Test
    void theClusterUrlNamesEveryNodeAndSessionsAreCountedOnAllOfThem() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().durable(false).start()) {
            PostgresNode primary = cluster.primary();
            PostgresNode standby = cluster.standbys().get(0);
            assertThat(cluster.jdbcUrl()).isEqualTo("jdbc:postgresql://" + primary.host() + ":" + primary.port() + ","
                    + standby.host() + ":" + standby.port() + "/postgres");
            assertThat(cluster.sessions("cluster-tests")).isZero();
            Properties properties = new Properties();
            properties.setProperty("user", primary.username());
            properties.setProperty("ApplicationName", "cluster-tests");
            try (Connection toPrimary = DriverManager.getConnection(primary.jdbcUrl(), properties);
                    Connection toStandby = DriverManager.getConnection(standby.jdbcUrl(), properties)) {
                assertThat(cluster.sessions("cluster-tests")).isEqualTo(2);
            }
        }
    }

    @Test
    void rowWrittenOnPrimaryAppearsOnStandby() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(2).start()) {
            assertThat(cluster.nodes()).hasSize(3).first().isSameAs(cluster.primary());
            assertThat(cluster.standbys()).extracting(PostgresNode::name).containsExactly("standby1", "standby2");
            try (Connection primary = cluster.primary().connect();
                    Statement statement = primary.createStatement()) {
                assertThat(query(primary, "select pg_is_in_recovery()")).isEqualTo("f");
                assertThat(query(primary, "show fsync")).isEqualTo("on");
                assertThat(query(primary, "select count(*) from pg_replication_slots where active")).isEqualTo("2");
                statement.execute("create table replicated (id int primary key, note text)");
                statement.execute("insert into replicated values (1, 'hello')");
            }

            cluster.awaitReplay(REPLAY_TIMEOUT);

            for (PostgresNode standby : cluster.standbys()) {
                try (Connection connection = standby.connect()) {
                    assertThat(query(connection, "select pg_is_in_recovery()")).isEqualTo("t");
                    assertThat(query(connection, "select note from replicated where id = 1")).isEqualTo("hello");
                }
            }

            try (Connection primary = cluster.primary().connect();
                    Statement statement = primary.createStatement()) {
                statement.execute("insert into replicated values (2, 'again')");
            }
            PostgresNode standby = cluster.standbys().get(0);
            cluster.awaitReplay(standby, REPLAY_TIMEOUT);
            try (Connection connection = standby.connect()) {
                assertThat(query(connection, "select count(*) from replicated")).isEqualTo("2");
            }
        }
    }

    @Test
    void synchronousClusterHasSyncStandby() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).synchronous(true).start();
                Connection primary = cluster.primary().connect()) {
            assertThat(cluster.isSynchronous()).isTrue();
            assertThat(query(primary, "select sync_state from pg_stat_replication where application_name = 'standby1'"))
                    .isEqualTo("sync");
            try (Statement statement = primary.createStatement()) {
                // A synchronous commit returns only once the standby has the WAL.
                statement.execute("create table synced (id int)");
            }
        }
    }

    @Test
    void promoteMakesStandbyWritable() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder().synchronous(true).start()) {
            PostgresNode standby = cluster.standbys().get(0);

            standby.promote();

            try (Connection connection = standby.connect(); Statement statement = connection.createStatement()) {
                assertThat(query(connection, "select pg_is_in_recovery()")).isEqualTo("f");
                statement.execute("create table written_after_promote (id int)");
                statement.execute("insert into written_after_promote values (1)");
                assertThat(query(connection, "select count(*) from written_after_promote")).isEqualTo("1");
            }
        }
    }

    @Test
    void noProcessOrFolderOutlivesClose() {
        PostgresCluster cluster = PostgresCluster.builder().durable(false).start();
        List<Long> processes = new ArrayList<>();
        List<Path> folders = new ArrayList<>();
        for (PostgresNode node : cluster.nodes()) {
            assertThat(node.isRunning()).isTrue();
            processes.add(node.postmasterPid());
            processes.addAll(PostgresNodeTests.descendants(node.postmasterPid()));
            folders.add(node.nodeDirectory());
        }
        assertThat(processes).hasSizeGreaterThan(cluster.nodes().size());

        cluster.close();

        assertThat(processes).noneMatch(PostgresNodeTests::isAlive);
        assertThat(folders).allSatisfy((folder) -> assertThat(folder).doesNotExist());
        assertThat(cluster.nodes()).noneMatch(PostgresNode::isRunning);
    }
}
