package io.nexs.postgres.pool;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.SQLExceptionOverride;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A pool tells its {@link ConnectionLossListener} of a lost connection on the borrower's thread, before the
 * failure reaches the borrower, and of nothing else; HikariCP still evicts as it would have.
 */
@ExtendWith(PostgresExtension.class)
class ConnectionLossListenerTests {

    private static PostgresNode node;

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void aTerminatedSessionIsHeardBeforeItsFailureReachesTheBorrowerAndTheConnectionIsEvicted() throws SQLException {
        AtomicInteger losses = new AtomicInteger();
        try (NodePool pool = pool(List.of())) {
            pool.setConnectionLossListener((lost) -> {
                assertThat(lost).isSameAs(pool);
                losses.incrementAndGet();
            });
            try (Connection connection = pool.dataSource().getConnection()) {
                terminate(connection);
                assertThatExceptionOfType(SQLException.class).isThrownBy(() -> execute(connection, "select 1"))
                    .satisfies((ex) -> assertThat(SqlStates.isConnectionLoss(ex.getSQLState())).isTrue());
                // heard on this thread, before the failure was thrown
                assertThat(losses).hasPositiveValue();
            }
            // HikariCP evicted the broken connection: the next borrow works
            try (Connection connection = pool.dataSource().getConnection()) {
                execute(connection, "select 1");
            }
        }
    }

    @Test
    void failuresTheServerAnsweredOnALiveSessionAreNotHeard() throws SQLException {
        AtomicInteger losses = new AtomicInteger();
        try (NodePool pool = pool(List.of())) {
            pool.setConnectionLossListener((lost) -> losses.incrementAndGet());
            try (Connection connection = pool.dataSource().getConnection()) {
                execute(connection, "create temporary table unique_ids (id int primary key)");
                execute(connection, "insert into unique_ids values (1)");
                assertThatExceptionOfType(SQLException.class)
                    .isThrownBy(() -> execute(connection, "selec 1"))
                    .satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("42601"));
                assertThatExceptionOfType(SQLException.class)
                    .isThrownBy(() -> execute(connection, "insert into unique_ids values (1)"))
                    .satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("23505"));
                execute(connection, "set statement_timeout = 20");
                assertThatExceptionOfType(SQLException.class)
                    .isThrownBy(() -> execute(connection, "select pg_sleep(5)"))
                    .satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("57014"));
                execute(connection, "reset statement_timeout");
                execute(connection, "select 1");
            }
            assertThat(pool.reportFailure(new SQLException("duplicate key", "23505"))).isFalse();
            assertThat(losses).hasValue(0);
            assertThat(pool.reportFailure(new SQLException("An I/O error occurred", "08006"))).isTrue();
            assertThat(losses).hasValue(1);
        }
    }

    @Test
    void anOverrideACustomizerSetStillDecides() throws SQLException {
        List<String> adjudicated = new CopyOnWriteArrayList<>();
        // evicts a connection that met a syntax error, which HikariCP alone would keep
        SQLExceptionOverride strict = new SQLExceptionOverride() {
            @java.lang.Override
            public Override adjudicate(SQLException failure) {
                adjudicated.add(failure.getSQLState());
                return "42601".equals(failure.getSQLState()) ? Override.MUST_EVICT : Override.CONTINUE_EVICT;
            }
        };
        AtomicInteger losses = new AtomicInteger();
        try (NodePool pool = pool(List.of((name, config) -> config.setExceptionOverride(strict)))) {
            pool.setConnectionLossListener((lost) -> losses.incrementAndGet());
            int first;
            try (Connection connection = pool.dataSource().getConnection()) {
                first = backendPid(connection);
                assertThatExceptionOfType(SQLException.class).isThrownBy(() -> execute(connection, "selec 1"));
            }
            assertThat(adjudicated).containsExactly("42601");
            assertThat(losses).hasValue(0);
            try (Connection connection = pool.dataSource().getConnection()) {
                assertThat(backendPid(connection)).isNotEqualTo(first);
                terminate(connection);
                assertThatExceptionOfType(SQLException.class).isThrownBy(() -> execute(connection, "select 1"));
            }
            assertThat(adjudicated).hasSizeGreaterThanOrEqualTo(2);
            assertThat(losses).hasPositiveValue();
        }
    }

    private static int backendPid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                var result = statement.executeQuery("select pg_backend_pid()")) {
            result.next();
            return result.getInt(1);
        }
    }

    private static void terminate(Connection victim) throws SQLException {
        int pid = backendPid(victim);
        try (Connection direct = node.connect(); Statement statement = direct.createStatement()) {
            // waits until the session is gone
            statement.execute("select pg_terminate_backend(" + pid + ", 5000)");
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static NodePool pool(List<NodePoolCustomizer> customizers) {
        ConnectionSettings connection = new ConnectionSettings(new NodeAddress(node.host(), node.port()),
                node.jdbcUrl(), node.username(), node.password(), Map.of());
        PoolSettings settings = new PoolSettings(1, 1, Duration.ofSeconds(5), Duration.ofMinutes(10),
                Duration.ofMinutes(30), Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO, true, true,
                Duration.ofSeconds(2));
        return new NodePool(connection, settings, customizers);
    }

}
