package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

class PostgresNodeTests {

    @Test
    void startsAndAnswersVersion() throws SQLException {
        try (PostgresNode node = PostgresNode.start(); Connection connection = node.connect()) {
            assertThat(node.isRunning()).isTrue();
            assertThat(node.host()).isEqualTo("127.0.0.1");
            assertThat(node.username()).isEqualTo("postgres");
            assertThat(node.password()).isNull();
            assertThat(node.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + node.port() + "/postgres");
            assertThat(node.version()).isEqualTo(PostgresBinaries.defaultVersion());
            String majorVersion = node.version().substring(0, node.version().indexOf('.'));
            assertThat(query(connection, "select version()")).startsWith("PostgreSQL " + majorVersion + ".");
            assertThat(query(connection, "show fsync")).isEqualTo("off");
            assertThat(query(connection, "show max_connections")).isEqualTo("200");
            assertThat(query(connection, "show server_encoding")).isEqualTo("UTF8");
            assertThat(Files.isDirectory(node.dataDirectory())).isTrue();
            assertThat(node.logTail(20)).contains("database system is ready to accept connections");
        }
    }

    @Test
    void durableNodeKeepsPostgresDefaultsAndCustomSettingsApply() throws SQLException {
        try (PostgresNode node = PostgresNode.builder().name("durable").durable(true)
                .setting("work_mem", "8MB").start(); Connection connection = node.connect()) {
            assertThat(node.name()).isEqualTo("durable");
            assertThat(query(connection, "show fsync")).isEqualTo("on");
            assertThat(query(connection, "show synchronous_commit")).isEqualTo("on");
            assertThat(query(connection, "show work_mem")).isEqualTo("8MB");
        }
    }

    @Test
    void stopAndRestartKeepData() throws SQLException {
        try (PostgresNode node = PostgresNode.start()) {
            try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
                statement.execute("create table kept (id int primary key)");
                statement.execute("insert into kept values (42)");
            }
            int port = node.port();
            long firstPid = node.postmasterPid();

            node.stop();
            assertThat(node.isRunning()).isFalse();
            assertThat(isAlive(firstPid)).isFalse();

            node.restart();
            assertThat(node.isRunning()).isTrue();
            assertThat(node.port()).isEqualTo(port);
            assertThat(node.postmasterPid()).isNotEqualTo(firstPid);
            try (Connection connection = node.connect()) {
                assertThat(query(connection, "select id from kept")).isEqualTo("42");
            }

            // restart() of a running node stops it first
            node.restart();
            try (Connection connection = node.connect()) {
                assertThat(query(connection, "select count(*) from kept")).isEqualTo("1");
            }
        }
    }

    @Test
    void crashEndsPostmasterAndAllChildren() throws SQLException {
        try (PostgresNode node = PostgresNode.start(); Connection session = node.connect()) {
            assertThat(query(session, "select 1")).isEqualTo("1");
            long postmaster = node.postmasterPid();
            List<Long> children = descendants(postmaster);
            assertThat(children).isNotEmpty();

            node.crash();

            assertThat(node.isRunning()).isFalse();
            assertThat(isAlive(postmaster)).isFalse();
            assertThat(children).noneMatch(PostgresNodeTests::isAlive);
            assertThatThrownBy(() -> query(session, "select 1")).isInstanceOf(SQLException.class);

            // the crashed node recovers on restart
            node.restart();
            try (Connection connection = node.connect()) {
                assertThat(query(connection, "select 1")).isEqualTo("1");
            }
            assertThat(node.logTail(50)).contains("database system was interrupted");
        }
    }

    @Test
    void hangFreezesExistingSessionsAndResumeWakesThem() throws Exception {
        ExecutorService executor = Executors.newCachedThreadPool();
        try (PostgresNode node = PostgresNode.start();
                Connection waiting = node.connect();
                Connection timingOut = node.connect()) {
            assertThat(query(waiting, "select 1")).isEqualTo("1");
            assertThat(query(timingOut, "select 1")).isEqualTo("1");
            timingOut.setNetworkTimeout(executor, 500);

            node.hang();
            assertThat(node.isHung()).isTrue();
            assertThat(node.isRunning()).isTrue();

            assertThatThrownBy(() -> query(timingOut, "select 2")).isInstanceOf(SQLException.class)
                    .hasStackTraceContaining("SocketTimeoutException");
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return query(waiting, "select 3");
                }
                catch (SQLException ex) {
                    throw new IllegalStateException(ex);
                }
            }, executor);
            await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> !answer.isDone());

            node.resume();
            assertThat(node.isHung()).isFalse();
            await().atMost(Duration.ofSeconds(10)).until(answer::isDone);
            assertThat(answer.get()).isEqualTo("3");
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    void stopResumesAHungNode() {
        try (PostgresNode node = PostgresNode.start()) {
            node.hang();
            node.stop();
            assertThat(node.isRunning()).isFalse();
            assertThat(node.isHung()).isFalse();
        }
    }

    @Test
    void closeStopsAHungNodeAndDeletesItsFolder() {
        PostgresNode node = PostgresNode.start();
        long postmaster = node.postmasterPid();
        List<Long> processes = new ArrayList<>(descendants(postmaster));
        processes.add(postmaster);
        node.hang();

        node.close();

        assertThat(processes).noneMatch(PostgresNodeTests::isAlive);
        assertThat(node.nodeDirectory()).doesNotExist();
        node.close(); // idempotent
    }

    @Test
    void passwordIsRequiredAndSentByConnect() throws SQLException {
        try (PostgresNode node = PostgresNode.builder().password("s3cret pass").start();
                Connection connection = node.connect()) {
            assertThat(node.password()).isEqualTo("s3cret pass");
            assertThat(query(connection, "select current_user")).isEqualTo("postgres");
            assertThat(node.nodeDirectory().resolve("initdb.pwfile")).doesNotExist();

            assertThatThrownBy(() -> DriverManager.getConnection(node.jdbcUrl(), "postgres", "wrong"))
                    .isInstanceOfSatisfying(PSQLException.class, (ex) -> {
                        assertThat(ex.getSQLState()).isEqualTo(PSQLState.INVALID_PASSWORD.getState());
                        assertThat(ex.getMessage()).contains("password authentication failed for user \"postgres\"");
                    });
            assertThatThrownBy(() -> DriverManager.getConnection(node.jdbcUrl(), "postgres", null))
                    .isInstanceOf(PSQLException.class).hasMessageContaining("no password was provided");
        }
    }

    @Test
    void passwordMustBeOneNonEmptyLine() {
        assertThatThrownBy(() -> PostgresNode.builder().password("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PostgresNode.builder().password("two\nlines"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closeStopsAServerWhoseStartWasNeverRecordedEvenWhenInterrupted() {
        PostgresNode node = PostgresNode.initialize(PostgresNode.builder());
        // Like a pg_ctl start that timed out: a postmaster runs, but the node never learnt its pid.
        Platform.CommandResult started = node.pgCtl(List.of("-l", node.nodeDirectory().resolve("postgres.log")
                .toString(), "-w", "-o", "-c listen_addresses='' -k " + node.nodeDirectory().resolve("socket"),
                "start"), Duration.ofSeconds(60));
        assertThat(started.exitCode()).as(started.output()).isZero();
        Long postmaster = NodeRegistry.postmasterPid(node.dataDirectory());
        assertThat(postmaster).isNotNull();
        List<Long> processes = new ArrayList<>(descendants(postmaster));
        processes.add(postmaster);
        assertThat(node.postmasterPid()).isZero();
        assertThat(processes).allMatch(PostgresNodeTests::isAlive);

        Thread.currentThread().interrupt();
        try {
            node.close();
        }
        finally {
            assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
        }

        assertThat(processes).noneMatch(PostgresNodeTests::isAlive);
        assertThat(node.nodeDirectory()).doesNotExist();
    }

    static String query(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map((handle) -> handle.descendants().map(ProcessHandle::pid).toList())
                .orElse(List.of());
    }

    /** Alive and not a zombie (an unreaped postmaster would otherwise still count). */
    static boolean isAlive(long pid) {
        return Platform.isAlive(pid);
    }
}
