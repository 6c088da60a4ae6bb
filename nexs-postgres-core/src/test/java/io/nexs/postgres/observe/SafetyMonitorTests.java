package io.nexs.postgres.observe;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.observe.SafetyFinding.Kind;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.Retrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The safety monitor against a real node: a connection held past the leak threshold (with where it was borrowed),
 * a session idle in a transaction, a statement waiting for that session's lock (naming its pid), a long statement,
 * and a deadlock the server resolved, each reported once however often the monitor checks.
 */
@ExtendWith(PostgresExtension.class)
class SafetyMonitorTests {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static final Duration THRESHOLD = Duration.ofMillis(300);

    private final List<AutoCloseable> resources = new ArrayList<>();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private DefaultPostgresProvider provider;

    private PostgresMetrics metrics;

    @BeforeEach
    void start(PostgresNode node) {
        this.provider = new DefaultPostgresProvider(
                Topologies.start(List.of(Topologies.definition(node)), Topologies.fast()),
                new RowMappers(UnmappedColumns.IGNORE, null), 100, HookManager.none(), Retrier.disabled());
        this.resources.add(this.provider);
        this.metrics = new PostgresMetrics(this.provider);
        this.metrics.bindTo(this.registry);
        this.provider.exec("create table if not exists safety_rows (id int primary key, v int)");
        this.provider.exec("insert into safety_rows values (1, 0), (2, 0) on conflict do nothing");
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : this.resources) {
            resource.close();
        }
    }

    private SafetyMonitor monitor(ConnectionLeakDetector leaks) {
        SafetyMonitor monitor = new SafetyMonitor(this.provider,
                new SafetyMonitor.Settings(Duration.ofHours(1), THRESHOLD, THRESHOLD, THRESHOLD, Duration.ofSeconds(5)),
                leaks, List.of(this.metrics));
        this.resources.add(monitor);
        return monitor;
    }

    private DataSource pool() {
        return this.provider.primary().dataSource();
    }

    private static long pid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                var rows = statement.executeQuery("select pg_backend_pid()")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Checks until the findings include one of each kind given, and returns everything found meanwhile. */
    private static List<SafetyFinding> checkUntil(SafetyMonitor monitor, Kind... kinds) {
        List<SafetyFinding> found = new CopyOnWriteArrayList<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            found.addAll(monitor.check());
            return found.stream().map(SafetyFinding::kind).toList().containsAll(List.of(kinds));
        });
        return found;
    }

    @Test
    void aConnectionHeldPastTheThresholdIsReportedOnceWithWhereItWasBorrowed() throws Exception {
        ConnectionLeakDetector leaks = new ConnectionLeakDetector(THRESHOLD);
        this.provider.topology().addPoolListener(leaks);
        SafetyMonitor monitor = monitor(leaks);
        try (Connection held = pool().getConnection()) {
            List<SafetyFinding> found = checkUntil(monitor, Kind.CONNECTION_LEAK);
            assertThat(found).singleElement().satisfies((leak) -> {
                assertThat(leak.node()).isEqualTo(this.provider.primary().name());
                assertThat(leak.duration()).isGreaterThan(THRESHOLD);
                assertThat(leak.detail()).contains(Thread.currentThread().getName());
                assertThat(leak.stackTrace())
                    .contains("aConnectionHeldPastTheThresholdIsReportedOnceWithWhereItWasBorrowed");
            });
            assertThat(monitor.check()).as("reported once").isEmpty();
            assertThat(this.registry.get("db.connection.leaks").functionCounter().count()).isOne();
            assertThat(monitor.recentFindings()).hasSize(1);
        }
        assertThat(leaks.borrowedNow()).isZero();
    }

    @Test
    void aConnectionReturnedByAnotherThreadIsNotALeak() throws Exception {
        // any connection still counted as borrowed would be reported at once
        ConnectionLeakDetector leaks = new ConnectionLeakDetector(Duration.ofNanos(1));
        this.provider.topology().addPoolListener(leaks);
        Connection connection = pool().getConnection();
        assertThat(leaks.borrowedNow()).isOne();
        CompletableFuture.runAsync(() -> {
            try {
                connection.close();
            }
            catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
        }).get();
        assertThat(leaks.borrowedNow()).isZero();
        assertThat(leaks.newLeaks()).isEmpty();
    }

    @Test
    void idleTransactionsLockWaitsAndLongStatementsAreReportedOnce() throws Exception {
        SafetyMonitor monitor = monitor(null);
        try (Connection idle = pool().getConnection(); Connection waiting = pool().getConnection();
                Connection slow = pool().getConnection()) {
            long holder = pid(idle);
            idle.setAutoCommit(false);
            try (Statement statement = idle.createStatement()) {
                statement.execute("lock table safety_rows in access exclusive mode");
            }
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> execute(waiting,
                    "select count(*) from safety_rows where v <> 42"));
            CompletableFuture<Void> sleeping = CompletableFuture.runAsync(() -> execute(slow,
                    "select pg_sleep(3) where 'secret' <> 'value'"));
            try {
                List<SafetyFinding> found = checkUntil(monitor, Kind.IDLE_IN_TRANSACTION, Kind.LOCK_WAIT,
                        Kind.LONG_RUNNING);
                assertThat(found).filteredOn((finding) -> finding.kind() == Kind.IDLE_IN_TRANSACTION)
                    .singleElement()
                    .satisfies((finding) -> assertThat(finding.pid()).isEqualTo((int) holder));
                assertThat(found).filteredOn((finding) -> finding.kind() == Kind.LOCK_WAIT)
                    .singleElement()
                    .satisfies((finding) -> assertThat(finding.detail()).contains("pid " + holder)
                        .contains("select count(*) from safety_rows where v <> ?"));
                assertThat(found).filteredOn((finding) -> finding.kind() == Kind.LONG_RUNNING)
                    .singleElement()
                    .satisfies((finding) -> assertThat(finding.detail()).contains("select pg_sleep(?) where ? <> ?")
                        .doesNotContain("secret"));
                assertThat(monitor.check()).as("each reported once").isEmpty();
            }
            finally {
                idle.rollback();
            }
            blocked.join();
            sleeping.join();
        }
    }

    @Test
    void deadlocksTheServerResolvedAreCounted() throws Exception {
        SafetyMonitor monitor = monitor(null);
        assertThat(monitor.check()).as("the first check only learns the count").isEmpty();
        try (Connection first = pool().getConnection(); Connection second = pool().getConnection()) {
            first.setAutoCommit(false);
            second.setAutoCommit(false);
            execute(first, "update safety_rows set v = v + 1 where id = 1");
            execute(second, "update safety_rows set v = v + 1 where id = 2");
            CompletableFuture<Void> crossing = CompletableFuture.runAsync(
                    () -> executeIgnoringFailure(first, "update safety_rows set v = v + 1 where id = 2"));
            await().atMost(WAIT).until(() -> this.provider.queryCount(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock'") > 0);
            executeIgnoringFailure(second, "update safety_rows set v = v + 1 where id = 1");
            crossing.join();
            first.rollback();
            second.rollback();
        }
        List<SafetyFinding> found = checkUntil(monitor, Kind.DEADLOCK);
        assertThat(found).filteredOn((finding) -> finding.kind() == Kind.DEADLOCK)
            .singleElement()
            .satisfies((finding) -> assertThat(finding.detail()).startsWith("1 deadlock"));
        assertThat(this.registry.get("db.deadlocks").functionCounter().count()).isOne();
    }

    private static void execute(Connection connection, String sql) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static void executeIgnoringFailure(Connection connection, String sql) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            // the deadlock victim
        }
    }

}
