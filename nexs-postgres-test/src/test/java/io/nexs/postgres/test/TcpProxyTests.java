package io.nexs.postgres.test;

import static io.nexs.postgres.test.PostgresNodeTests.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TcpProxyTests {

    private static final Executor DIRECT = Runnable::run;

    @Test
    void forwardsQueriesToTheNode(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node)) {
            try (Connection connection = connect(proxy)) {
                assertThat(proxy.host()).isEqualTo("127.0.0.1");
                assertThat(proxy.port()).isPositive().isNotEqualTo(node.port());
                assertThat(proxy.address()).isEqualTo("127.0.0.1:" + proxy.port());
                assertThat(proxy.jdbcUrl("app"))
                        .isEqualTo("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app");
                assertThat(proxy.jdbcUrl()).isEqualTo(proxy.jdbcUrl("postgres"));
                assertThat(proxy.targetHost()).isEqualTo(node.host());
                assertThat(proxy.targetPort()).isEqualTo(node.port());

                assertThat(query(connection, "select 1")).isEqualTo("1");
                assertThat(query(connection, "select inet_server_port()"))
                        .isEqualTo(Integer.toString(node.port()));
                assertThat(query(connection, "select repeat('x', 1000000)")).hasSize(1_000_000);
                assertThat(proxy.openConnections()).isEqualTo(1);

                List<Thread> threads = proxyThreads(proxy);
                assertThat(threads).extracting(Thread::getName).contains(
                        "nexs-proxy-" + proxy.port() + "-accept", "nexs-proxy-" + proxy.port() + "-1-to-server",
                        "nexs-proxy-" + proxy.port() + "-1-to-client");
                assertThat(threads).allMatch(Thread::isDaemon);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
        }
    }

    @Test
    void retargetSendsNewConnectionsElsewhereAndLeavesOpenOnesAlone(@ClusterSpec(standbys = 1) PostgresCluster cluster)
            throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(cluster.primary()); Connection before = connect(proxy)) {
            assertThat(query(before, "select pg_is_in_recovery()")).isEqualTo("f");
            proxy.retarget(cluster.standbys().get(0));
            assertThat(proxy.targetPort()).isEqualTo(cluster.standbys().get(0).port());
            try (Connection after = connect(proxy)) {
                assertThat(query(after, "select pg_is_in_recovery()")).isEqualTo("t");
            }
            assertThat(query(before, "select pg_is_in_recovery()")).isEqualTo("f");
            assertThatThrownBy(() -> proxy.retarget("127.0.0.1", 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void latencyDelaysBothDirections(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node); Connection connection = connect(proxy)) {
            assertThat(query(connection, "select 1")).isEqualTo("1");

            proxy.latency(Duration.ofMillis(200));
            assertThat(proxy.latency()).isEqualTo(Duration.ofMillis(200));
            long started = System.nanoTime();
            assertThat(query(connection, "select 1")).isEqualTo("1");
            // 200 ms for the query and 200 ms for the answer
            assertThat(millisSince(started)).isGreaterThanOrEqualTo(400);

            proxy.latency(Duration.ZERO);
            started = System.nanoTime();
            assertThat(query(connection, "select 2")).isEqualTo("2");
            assertThat(millisSince(started)).isLessThan(400);

            assertThatThrownBy(() -> proxy.latency(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void droppedNewConnectionsFailDuringStartupUntilTurnedOff(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node); Connection open = connect(proxy)) {
            proxy.dropNewConnections(true);
            assertThat(proxy.isDroppingNewConnections()).isTrue();

            assertThatThrownBy(() -> connect(proxy)).isInstanceOfSatisfying(SQLException.class,
                    (ex) -> assertThat(ex.getSQLState()).isEqualTo("08001"))
                    .hasMessageContaining("The connection attempt failed");
            assertThat(query(open, "select 1")).isEqualTo("1");
            assertThat(proxy.openConnections()).isEqualTo(1);

            proxy.dropNewConnections(false);
            try (Connection connection = connect(proxy)) {
                assertThat(query(connection, "select 2")).isEqualTo("2");
            }
        }
    }

    @Test
    void refusedNewConnectionsFailUntilTheProxyListensAgainOnTheSamePort(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node); Connection open = connect(proxy)) {
            int port = proxy.port();
            proxy.refuseNewConnections(true);
            assertThat(proxy.isRefusingNewConnections()).isTrue();

            assertThatThrownBy(() -> connect(proxy)).isInstanceOfSatisfying(SQLException.class,
                    (ex) -> assertThat(ex.getSQLState()).isEqualTo("08001")).hasRootCauseInstanceOf(
                            ConnectException.class);
            assertThat(query(open, "select 1")).isEqualTo("1");
            proxy.refuseNewConnections(true); // no-op

            proxy.refuseNewConnections(false);
            assertThat(proxy.isRefusingNewConnections()).isFalse();
            assertThat(proxy.port()).isEqualTo(port);
            try (Connection connection = connect(proxy)) {
                assertThat(query(connection, "select 2")).isEqualTo("2");
            }
        }
    }

    @Test
    void refusingFailsClearlyWhenThePortWasTakenMeanwhile(PostgresNode node) throws IOException {
        try (TcpProxy proxy = TcpProxy.forNode(node)) {
            proxy.refuseNewConnections(true);
            try (ServerSocket thief = new ServerSocket(proxy.port(), 1, InetAddress.getByName("127.0.0.1"))) {
                assertThatThrownBy(() -> proxy.refuseNewConnections(false)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("cannot listen on " + proxy.address() + " again");
                assertThat(thief.isBound()).isTrue();
            }
            assertThat(proxy.isRefusingNewConnections()).isTrue();
        }
    }

    @Test
    void cutConnectionsBreaksOpenConnectionsOnly(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node);
                Connection first = connect(proxy);
                Connection second = connect(proxy)) {
            assertThat(query(first, "select 1")).isEqualTo("1");
            assertThat(proxy.openConnections()).isEqualTo(2);

            assertThat(proxy.cutConnections()).isEqualTo(2);

            assertThat(proxy.openConnections()).isZero();
            for (Connection cut : List.of(first, second)) {
                assertThatThrownBy(() -> query(cut, "select 1")).isInstanceOfSatisfying(SQLException.class,
                        (ex) -> assertThat(ex.getSQLState()).startsWith("08"));
            }
            try (Connection connection = connect(proxy)) {
                assertThat(query(connection, "select 2")).isEqualTo("2");
            }
        }
    }

    @Test
    void blackHoleMakesQueriesAndNewConnectionsTimeOutInsteadOfHanging(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node); Connection connection = connect(proxy)) {
            assertThat(query(connection, "select 1")).isEqualTo("1");
            connection.setNetworkTimeout(DIRECT, 500);

            proxy.blackHole(true);
            assertThat(proxy.isBlackHole()).isTrue();

            long started = System.nanoTime();
            assertThatThrownBy(() -> query(connection, "select 2")).isInstanceOfSatisfying(SQLException.class,
                    (ex) -> assertThat(ex.getSQLState()).startsWith("08"))
                    .hasStackTraceContaining("SocketTimeoutException");
            assertThat(millisSince(started)).isBetween(450L, 3000L);

            started = System.nanoTime();
            assertThatThrownBy(() -> DriverManager.getConnection(proxy.jdbcUrl() + "?loginTimeout=1",
                    credentials())).isInstanceOf(SQLException.class);
            assertThat(millisSince(started)).isBetween(900L, 3000L);
            // the login attempt is held, not closed
            assertThat(proxy.openConnections()).isEqualTo(2);

            proxy.blackHole(false);
            try (Connection fresh = connect(proxy)) {
                assertThat(query(fresh, "select 3")).isEqualTo("3");
            }
            // the connections of the black hole end once their held bytes show that the clients gave up
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
        }
    }

    @Test
    void blackHoleHoldsTrafficAndDeliversItWhenTurnedOff(PostgresNode node) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (TcpProxy proxy = TcpProxy.forNode(node); Connection connection = connect(proxy)) {
            assertThat(query(connection, "select 1")).isEqualTo("1");
            proxy.blackHole(true);

            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return query(connection, "select 2");
                }
                catch (SQLException ex) {
                    throw new IllegalStateException(ex);
                }
            }, executor);
            await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> !answer.isDone());
            assertThat(proxy.openConnections()).isEqualTo(1);

            proxy.blackHole(false);
            await().atMost(Duration.ofSeconds(10)).until(answer::isDone);
            assertThat(answer.get()).isEqualTo("2");
            assertThat(query(connection, "select 3")).isEqualTo("3");
        }
        finally {
            executor.shutdownNow();
        }
    }

    @Test
    void closeCutsConnectionsAndReleasesThePort(PostgresNode node) throws IOException, SQLException {
        TcpProxy proxy = TcpProxy.forNode(node);
        int port = proxy.port();
        try (Connection connection = connect(proxy)) {
            assertThat(query(connection, "select 1")).isEqualTo("1");

            proxy.close();

            assertThat(proxy.openConnections()).isZero();
            assertThatThrownBy(() -> query(connection, "select 1")).isInstanceOfSatisfying(SQLException.class,
                    (ex) -> assertThat(ex.getSQLState()).startsWith("08"));
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxyThreads(proxy).isEmpty());
        proxy.close(); // idempotent
        assertThatThrownBy(() -> proxy.refuseNewConnections(false)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void connectionsToADownTargetAreClosed() throws IOException {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            deadPort = socket.getLocalPort();
        }
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", deadPort)) {
            assertThatThrownBy(() -> connect(proxy)).isInstanceOfSatisfying(SQLException.class,
                    (ex) -> assertThat(ex.getSQLState()).isEqualTo("08001"));
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
        }
    }

    @Test
    void rejectsBadTargets() {
        assertThatThrownBy(() -> TcpProxy.start("127.0.0.1", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpProxy.start("127.0.0.1", 65536)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Connection connect(TcpProxy proxy) throws SQLException {
        return DriverManager.getConnection(proxy.jdbcUrl(), credentials());
    }

    private static Properties credentials() {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        return properties;
    }

    private static List<Thread> proxyThreads(TcpProxy proxy) {
        String prefix = "nexs-proxy-" + proxy.port() + "-";
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter((thread) -> thread.getName().startsWith(prefix)).toList();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
