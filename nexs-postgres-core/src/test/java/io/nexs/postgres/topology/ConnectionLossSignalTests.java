package io.nexs.postgres.topology;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.PostgresTransactionManager;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.junit.jupiter.api.Test;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A connection lost on any path reaches the topology at once, not at the node's next check: the regular checks
 * here come every 30 s, so only the signal explains a node marked down within seconds. Each test breaks its
 * cluster, so each starts one of its own.
 */
class ConnectionLossSignalTests {

    /** Far longer than any wait below. */
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(30);

    /** A failed check, a second one a probe interval later, and room for a slow machine. */
    private static final Duration VERDICT = Duration.ofSeconds(5);

    @Test
    void aPrimaryKilledUnderTransactionalJdbcTemplateWritesIsMarkedDownAtOnce() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(0).start();
                DefaultPostgresProvider provider = FailoverTests.provider(Topologies.start(cluster, rareChecks()))) {
            JdbcTemplate jdbcTemplate = new JdbcTemplate(provider.dataSource());
            jdbcTemplate.execute("create table t (id bigint primary key)");
            TransactionTemplate transactions = new TransactionTemplate(transactionManager(provider));
            AtomicLong next = new AtomicLong();
            try (Loop writes = Loop.start("writer", () -> transactions.executeWithoutResult((status) -> jdbcTemplate
                .update("insert into t values (?)", next.incrementAndGet())))) {
                writes.awaitDone(20);
                cluster.primary().crash();
                awaitUnhealthy(provider, "primary");
                // a writer that was borrowing when the primary died waits for a primary first, then fails
                await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(writes.failures()).hasPositiveValue());
            }
        }
    }

    @Test
    void aReplicaKilledUnderReadOnlyTransactionsIsMarkedDownAtOnce() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(1).start();
                DefaultPostgresProvider provider = FailoverTests.provider(Topologies.start(cluster, rareChecks()))) {
            PostgresNode standby = cluster.standbys().get(0);
            JdbcTemplate jdbcTemplate = new JdbcTemplate(provider.dataSource());
            TransactionTemplate reads = new TransactionTemplate(transactionManager(provider));
            reads.setReadOnly(true);
            Integer port = reads.execute((status) -> jdbcTemplate.queryForObject("select inet_server_port()",
                    Integer.class));
            assertThat(port).isEqualTo(standby.port());
            try (Loop loop = Loop.start("reader", () -> reads.executeWithoutResult((status) -> jdbcTemplate
                .queryForObject("select count(*) from pg_class", Long.class)))) {
                loop.awaitDone(20);
                standby.crash();
                awaitUnhealthy(provider, "standby1");
                assertThat(loop.failures()).hasPositiveValue();
            }
            assertThat(provider.topology().node("primary").state()).isEqualTo(NodeState.HEALTHY);
        }
    }

    @Test
    void aPrimaryKilledUnderACopyIsMarkedDownAtOnce() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().standbys(0).start();
                DefaultPostgresProvider provider = FailoverTests.provider(Topologies.start(cluster, rareChecks()))) {
            provider.exec("create table t (id bigint primary key)");
            AtomicBoolean crashed = new AtomicBoolean();
            // the COPY runs on the driver's own connection, below the pool's proxies
            Iterable<Object[]> rows = () -> new Iterator<>() {
                private long id;

                @Override
                public boolean hasNext() {
                    return this.id < 2_000_000;
                }

                @Override
                public Object[] next() {
                    if (++this.id == 1_000 && crashed.compareAndSet(false, true)) {
                        cluster.primary().crash();
                    }
                    return new Object[] { this.id };
                }
            };
            Throwable failure = catchThrowable(() -> provider.copy().into("t").columns("id").rows(rows));
            assertThat(crashed).isTrue();
            assertThat(failure).isInstanceOf(DataAccessException.class);
            awaitUnhealthy(provider, "primary");
        }
    }

    /** Checks every 30 s, with a 500 ms limit, two failures and 25 ms probes; writes wait 1 s for a primary. */
    private static TopologySettings rareChecks() {
        return new TopologySettings(ReadPreference.SECONDARY_PREFERRED, LoadBalancing.ROUND_ROBIN, null,
                Duration.ofMillis(15), true, CHECK_INTERVAL, Duration.ofMillis(500), 2, Duration.ofSeconds(1),
                Duration.ofMillis(25));
    }

    /** The transaction manager as the auto-configuration builds it over the routed data source. */
    private static PostgresTransactionManager transactionManager(DefaultPostgresProvider provider) {
        CommitOutcomeCheck check = new CommitOutcomeCheck(RoutingDataSource.primary(provider.topology()),
                Duration.ofSeconds(1));
        return new PostgresTransactionManager(provider.dataSource(), new SqlErrors(), check,
                new Retrier(RetrySettings.defaults(), TransientErrors.defaults()));
    }

    private static void awaitUnhealthy(DefaultPostgresProvider provider, String node) {
        await().atMost(VERDICT).pollInterval(Duration.ofMillis(10))
            .until(() -> provider.topology().node(node).state() == NodeState.UNHEALTHY);
    }

    /** One thread doing the same work back to back until closed, counting what succeeded and what failed. */
    private static final class Loop implements AutoCloseable {

        private final AtomicLong done = new AtomicLong();

        private final AtomicLong failures = new AtomicLong();

        private volatile boolean stopped;

        private final Thread thread;

        private Loop(String name, Runnable work) {
            this.thread = new Thread(() -> {
                while (!this.stopped) {
                    try {
                        work.run();
                        this.done.incrementAndGet();
                    }
                    catch (RuntimeException ex) {
                        this.failures.incrementAndGet();
                    }
                }
            }, name);
            this.thread.setDaemon(true);
        }

        static Loop start(String name, Runnable work) {
            Loop loop = new Loop(name, work);
            loop.thread.start();
            return loop;
        }

        void awaitDone(long count) {
            await().atMost(Duration.ofSeconds(10)).until(() -> this.done.get() >= count);
        }

        AtomicLong failures() {
            return this.failures;
        }

        @Override
        public void close() throws InterruptedException {
            this.stopped = true;
            this.thread.join(10_000);
        }

    }

}
