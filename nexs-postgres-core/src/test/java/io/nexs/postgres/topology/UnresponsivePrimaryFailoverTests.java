package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.topology.FailoverTests.Events;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.TransientDataAccessException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A primary that stops answering without closing anything, a hung server or a network partition: the monitor must
 * find it within its own timeouts, far below the operating system's TCP timeout, and cut the borrowers blocked on
 * it loose, telling each what became of its work.
 */
class UnresponsivePrimaryFailoverTests {

    private static final Logger logger = LoggerFactory.getLogger(UnresponsivePrimaryFailoverTests.class);

    /** Checks every 200 ms, each failing after 500 ms, two in a row: about 1.2 s. */
    private static final Duration DETECTION_LIMIT = Duration.ofSeconds(3);

    private static final String BLOCKED_SQL = "insert into items select 2 from pg_sleep(30)";

    private static final String BLOCKED_IN_TRANSACTION_SQL = "insert into items select 4 from pg_sleep(30)";

    @Test
    void aHungPrimaryIsFoundWithinTheCheckTimeoutsAndItsBlockedBorrowersFailAtOnce() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                DefaultPostgresProvider provider = FailoverTests.provider(
                        Topologies.start(cluster, Topologies.fast()))) {
            PostgresNode primary = cluster.primary();
            try {
                failOver(cluster, provider, "SIGSTOP", primary::hang);
            }
            finally {
                primary.resume();
            }
        }
    }

    @Test
    void aBlackHoledPrimaryIsFoundWithinTheCheckTimeoutsAndItsBlockedBorrowersFailAtOnce() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                TcpProxy primaryProxy = TcpProxy.forNode(cluster.primary());
                TcpProxy standbyProxy = TcpProxy.forNode(cluster.standbys().get(0));
                DefaultPostgresProvider provider = FailoverTests.provider(Topologies.start(
                        List.of(Topologies.definition(cluster.primary(), primaryProxy),
                                Topologies.definition(cluster.standbys().get(0), standbyProxy)),
                        Topologies.fast()))) {
            try {
                failOver(cluster, provider, "black hole", () -> primaryProxy.blackHole(true));
            }
            finally {
                primaryProxy.blackHole(false);
            }
        }
    }

    /**
     * Makes the primary unresponsive while a borrower runs a long statement on it, checks that the monitor
     * notices in time and the borrower fails with a failover exception, then promotes the standby and checks
     * that writes resume there.
     */
    private static void failOver(PostgresCluster cluster, DefaultPostgresProvider provider, String fault,
            Runnable unresponsive) throws Exception {
        PostgresNode standby = cluster.standbys().get(0);
        Events events = Events.of(provider.topology());
        provider.exec("create table items (id int)");
        provider.exec("insert into items values (1)");
        cluster.awaitReplay(standby, FailoverTests.REPLAY_TIMEOUT);
        CompletableFuture<Failure> borrower = CompletableFuture.supplyAsync(() -> {
            try {
                provider.exec(BLOCKED_SQL);
                throw new AssertionError("The statement on the unresponsive primary returned");
            }
            catch (RuntimeException ex) {
                return new Failure(ex, System.nanoTime());
            }
        });
        CompletableFuture<Failure> transactionalBorrower = CompletableFuture.supplyAsync(() -> {
            try {
                provider.inTransaction((status) -> provider.exec(BLOCKED_IN_TRANSACTION_SQL));
                throw new AssertionError("The transaction on the unresponsive primary returned");
            }
            catch (RuntimeException ex) {
                return new Failure(ex, System.nanoTime());
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> runningOn(cluster.primary(), BLOCKED_SQL)
                && runningOn(cluster.primary(), BLOCKED_IN_TRANSACTION_SQL));

        long start = System.nanoTime();
        Instant faulted = Instant.now();
        unresponsive.run();
        NodeStateChangedEvent unhealthy = events.awaitState("primary", NodeState.UNHEALTHY, DETECTION_LIMIT);
        Failure failure = borrower.get(DETECTION_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        // the insert was sent under auto-commit: it may have been applied, so it is not reported as retryable
        assertThat(failure.exception()).isInstanceOf(OutcomeUnknownException.class)
            .isNotInstanceOf(TransientDataAccessException.class)
            .hasMessageContaining("lost its connection to PostgreSQL node primary")
            .hasMessageContaining("may or may not have applied it")
            .hasCauseInstanceOf(FailoverInProgressException.class);
        // the transaction's insert was not committed: the whole transaction provably did not take effect
        Failure transactionFailure = transactionalBorrower.get(DETECTION_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(transactionFailure.exception()).isInstanceOf(FailoverInProgressException.class)
            .isInstanceOf(TransientDataAccessException.class)
            .hasMessageContaining("lost its connection to PostgreSQL node primary");
        Duration detected = Duration.between(faulted, unhealthy.timestamp());
        Duration borrowerReleased = Duration.ofNanos(failure.nanoTime() - start);
        assertThat(detected).isLessThan(DETECTION_LIMIT);
        assertThat(borrowerReleased).isLessThan(DETECTION_LIMIT);
        assertThat(provider.topology().primary()).isEmpty();

        standby.promote();
        long promoted = System.nanoTime();
        assertThat(provider.exec("insert into items values (3)")).isOne();
        long recovered = System.nanoTime();
        FailoverEvent failover = events.awaitEvent(FailoverEvent.class, (event) -> true,
                FailoverTests.DETECTION_TIMEOUT);
        assertThat(failover.previousPrimary()).isEqualTo("primary");
        assertThat(failover.newPrimary()).isEqualTo("standby1");
        assertThat(FailoverTests.ids(standby, "items")).containsExactly(1, 3);
        logger.info("{}: primary unhealthy after {} ms, blocked borrower released after {} ms, first write {} ms "
                + "after the promotion returned", fault, detected.toMillis(), borrowerReleased.toMillis(),
                TimeUnit.NANOSECONDS.toMillis(recovered - promoted));
    }

    /** How a borrower's statement ended, and when. */
    private record Failure(RuntimeException exception, long nanoTime) {

    }

    /** Whether a session runs the statement on the node, asked directly rather than through a proxy. */
    private static boolean runningOn(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = node.connect(); PreparedStatement statement = connection.prepareStatement(
                "select count(*) from pg_stat_activity where state = 'active' and query = ?")) {
            statement.setString(1, sql);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1) == 1;
            }
        }
    }

}
