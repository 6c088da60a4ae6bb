package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.Topologies;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A transaction caught by a failover: its primary is killed while the callback is between two inserts, a
 * standby is promoted, and the provider runs the whole callback again on the new primary, where its rows exist
 * exactly once.
 */
class FailoverRetryTests {

    private static final Logger logger = LoggerFactory.getLogger(FailoverRetryTests.class);

    @Test
    void aTransactionWhosePrimaryIsKilledMidCallbackIsRetriedOnThePromotedStandbyAndAppliedOnce() throws Exception {
        Retrier retrier = new Retrier(RetrySettings.defaults()
            .withMaxAttempts(6)
            .withBackOff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1), Duration.ofMillis(20)),
                TransientErrors.defaults());
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                DefaultPostgresProvider provider = new DefaultPostgresProvider(
                        Topologies.start(cluster, Topologies.fast()), new RowMappers(UnmappedColumns.IGNORE, null),
                        100, HookManager.none(), retrier)) {
            PostgresNode primary = cluster.primary();
            PostgresNode standby = cluster.standbys().get(0);
            provider.exec("create table failover_orders (id int primary key, run int not null, port int not null)");
            cluster.awaitReplay(standby, Duration.ofSeconds(10));
            RetryStatistics before = provider.retryStatistics();

            CountDownLatch inserted = new CountDownLatch(1);
            CountDownLatch crashed = new CountDownLatch(1);
            AtomicInteger runs = new AtomicInteger();
            List<Throwable> seenByCallback = new CopyOnWriteArrayList<>();
            CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> provider.inTransaction((status) -> {
                int run = runs.incrementAndGet();
                provider.exec("insert into failover_orders values (1, ?, inet_server_port())", run);
                if (run == 1) {
                    inserted.countDown();
                    awaitLatch(crashed);
                }
                try {
                    provider.exec("insert into failover_orders values (2, ?, inet_server_port())", run);
                }
                catch (DataAccessException ex) {
                    seenByCallback.add(ex);
                    throw ex;
                }
                return run;
            }));
            assertThat(inserted.await(10, TimeUnit.SECONDS)).isTrue();
            long killed = System.nanoTime();
            primary.crash();
            crashed.countDown();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> provider.topology().node("primary").state() == NodeState.UNHEALTHY);
            standby.promote();

            int committedRun = result.get(20, TimeUnit.SECONDS);
            logger.info("Transaction committed on run {}, {} ms after the primary was killed; first failure: {}",
                    committedRun, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed),
                    seenByCallback.isEmpty() ? "none" : seenByCallback.get(0).getClass().getSimpleName());
            assertThat(committedRun).isGreaterThanOrEqualTo(2);
            assertThat(runs).hasValue(committedRun);
            assertThat(seenByCallback).first()
                .satisfies((ex) -> assertThat(retrier.transientErrors().isTransient(ex)).isTrue());
            List<int[]> rows = rows(standby);
            assertThat(rows).as("rows on the new primary (id, run, port)")
                .containsExactly(new int[] { 1, committedRun, standby.port() },
                        new int[] { 2, committedRun, standby.port() });
            RetryStatistics after = provider.retryStatistics();
            assertThat(after.attempts() - before.attempts()).isEqualTo(committedRun);
            assertThat(after.retries() - before.retries()).isEqualTo(committedRun - 1);
            assertThat(after.successesAfterRetry() - before.successesAfterRetry()).isOne();
            assertThat(after.exhausted() - before.exhausted()).isZero();
            assertThat(after.commitsUnknown() - before.commitsUnknown()).isZero();
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test did not kill the primary");
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static List<int[]> rows(PostgresNode node) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute("set statement_timeout = '5s'");
            List<int[]> rows = new ArrayList<>();
            try (ResultSet result = statement.executeQuery("select id, run, port from failover_orders order by id")) {
                while (result.next()) {
                    rows.add(new int[] { result.getInt(1), result.getInt(2), result.getInt(3) });
                }
            }
            return rows;
        }
    }

}
