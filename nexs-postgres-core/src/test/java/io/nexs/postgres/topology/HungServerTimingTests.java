package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a caller blocked on a server that hangs mid-query sees, and after how long, with the default check
 * settings: the README's table of time limits quotes these figures. A hung server runs no timer of its own, so
 * its statement timeout cannot help; only the monitor's cut or the socket timeout end the wait.
 */
class HungServerTimingTests {

    private static final Logger logger = LoggerFactory.getLogger(HungServerTimingTests.class);

    private static final String BLOCKED_SQL = "insert into hung select 1 from pg_sleep(30)";

    @Test
    void withTheMonitorTheCallerIsCutLooseWithinTheDetectionTime() throws Exception {
        TopologySettings settings = TopologySettings.defaults();
        // the next check starts within one interval, then failure-threshold checks in a row each wait the timeout
        Duration detection = settings.checkInterval()
            .plus(settings.checkTimeout().multipliedBy(settings.failureThreshold()));
        try (PostgresNode node = PostgresNode.start()) {
            Outcome outcome = blockThenHang(node, settings, Map.of());
            logger.info("Monitor on (interval {}, timeout {}, threshold {}): caller released after {} ms with {} "
                    + "(SQLSTATE {})", settings.checkInterval(), settings.checkTimeout(), settings.failureThreshold(),
                    outcome.after().toMillis(), outcome.failure().getClass().getSimpleName(),
                    SqlStates.of(outcome.failure()));
            // the blocked exec ran under auto-commit and may have been applied: unknown, with the monitor's verdict
            assertThat(outcome.failure()).isInstanceOf(OutcomeUnknownException.class)
                .cause()
                .isInstanceOf(FailoverInProgressException.class)
                .hasMessageContaining("lost its connection");
            assertThat(outcome.after()).isLessThan(detection.plusSeconds(1));
        }
    }

    @Test
    void withoutTheMonitorsCutTheSocketTimeoutEndsTheWait() throws Exception {
        // writes that do not follow a new primary: the monitor still checks, but cuts no connection
        TopologySettings defaults = TopologySettings.defaults();
        TopologySettings settings = new TopologySettings(defaults.readPreference(), defaults.loadBalancing(), null,
                defaults.latencyWindow(), false, defaults.checkInterval(), defaults.checkTimeout(),
                defaults.failureThreshold(), defaults.writeWaitTimeout(), defaults.probeInterval());
        try (PostgresNode node = PostgresNode.start()) {
            Outcome outcome = blockThenHang(node, settings, Map.of("socketTimeout", "4"));
            logger.info("Monitor without failover, socketTimeout 4 s: caller released after {} ms with {} "
                    + "(SQLSTATE {})", outcome.after().toMillis(), outcome.failure().getClass().getSimpleName(),
                    SqlStates.of(outcome.failure()));
            assertThat(SqlStates.isConnectionLoss(SqlStates.of(outcome.failure()))).isTrue();
            // the read began when the statement was sent, a little before the hang
            assertThat(outcome.after()).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(6));
        }
    }

    private static Outcome blockThenHang(PostgresNode node, TopologySettings settings,
            Map<String, String> driverProperties) throws Exception {
        NodeDefinition plain = Topologies.definition(node);
        Map<String, String> properties = new HashMap<>(plain.connection().driverProperties());
        properties.putAll(driverProperties);
        ConnectionSettings connection = new ConnectionSettings(plain.connection().address(),
                plain.connection().jdbcUrl(), plain.connection().username(), null, properties);
        NodeDefinition definition = new NodeDefinition(plain.name(), connection, plain.pool(), 1, plain.tags());
        try (DefaultPostgresProvider provider = FailoverTests.provider(Topologies.start(List.of(definition),
                settings))) {
            provider.exec("create table hung (id int)");
            CompletableFuture<RuntimeException> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    provider.exec(BLOCKED_SQL);
                    throw new AssertionError("The query on the hung server returned");
                }
                catch (RuntimeException ex) {
                    return ex;
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> runningOn(node));
            long hung = System.nanoTime();
            node.hang();
            try {
                RuntimeException failure = blocked.get(20, TimeUnit.SECONDS);
                return new Outcome(failure, Duration.ofNanos(System.nanoTime() - hung));
            }
            finally {
                node.resume();
            }
        }
    }

    private static boolean runningOn(PostgresNode node) throws SQLException {
        try (Connection connection = node.connect(); PreparedStatement statement = connection.prepareStatement(
                "select count(*) from pg_stat_activity where state = 'active' and query = ?")) {
            statement.setString(1, BLOCKED_SQL);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1) == 1;
            }
        }
    }

    private record Outcome(RuntimeException failure, Duration after) {

    }

}
