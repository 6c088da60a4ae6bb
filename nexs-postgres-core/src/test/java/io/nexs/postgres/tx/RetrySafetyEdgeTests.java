package io.nexs.postgres.tx;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.hook.SqlText;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.tx.CommitOutcomeCheck.Outcome;
import io.nexs.postgres.tx.CommitOutcomeCheck.Status;
import io.nexs.postgres.tx.CommitOutcomeCheck.WrittenTransaction;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.retrier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Edges where a retry could repeat work that already took effect: an {@code afterCommit} callback failing after
 * the commit, a transaction whose only effect is a notification (it gets its id only inside {@code COMMIT}), a
 * commit check abandoned at its deadline, and statements whose text hides a call to a writing function.
 */
@ExtendWith(PostgresExtension.class)
class RetrySafetyEdgeTests {

    private static PostgresNode node;

    private static HikariDataSource dataSource;

    private static TcpProxy proxy;

    private static Admin admin;

    @BeforeAll
    static void start(PostgresNode postgresNode) throws SQLException {
        node = postgresNode;
        dataSource = pool(node, 4);
        proxy = TcpProxy.forNode(node);
        admin = new Admin(node);
        admin.execute("create table if not exists edge_calls (n int)");
        admin.execute("create or replace function bump() returns int language sql as "
                + "$$ insert into edge_calls values (1) returning 1 $$");
        admin.execute("create schema if not exists app");
        admin.execute("create or replace function app.lower(text) returns text language sql as "
                + "$$ insert into edge_calls values (1); select $1 $$");
        admin.execute("create schema if not exists mypg_catalog");
        admin.execute("create or replace function mypg_catalog.lower(text) returns text language sql as "
                + "$$ insert into edge_calls values (1); select $1 $$");
        admin.execute("create or replace function within(int) returns int language sql as "
                + "$$ insert into edge_calls values (1) returning 1 $$");
        admin.execute("create table if not exists edge_rows (x int)");
        admin.execute("truncate edge_rows");
        admin.execute("insert into edge_rows values (1)");
        admin.execute("create or replace function bump(edge_rows) returns int language sql as "
                + "$$ insert into edge_calls values (1) returning 1 $$");
    }

    @AfterEach
    void heal() {
        proxy.blackHole(false);
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        dataSource.close();
        admin.close();
    }

    // a transient failure thrown by an afterCommit callback must not run the committed transaction again

    @Test
    void aTransientFailureInAfterCommitDoesNotRunTheCommittedCallbackAgain() {
        admin.execute("drop table if exists after_commit_rows");
        admin.execute("create table after_commit_rows (id int)");
        Retrier retrier = retrier(3);
        PostgresTemplate postgres = template(dataSource, retrier);
        AtomicInteger runs = new AtomicInteger();
        try {
            postgres.inTransaction((status) -> {
                int run = runs.incrementAndGet();
                postgres.exec("insert into after_commit_rows values (1)");
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCommit() {
                        if (run == 1) {
                            // e.g. a follow-up call whose pool had no connection in time
                            throw new CannotGetJdbcConnectionException("no connection",
                                    new SQLTransientConnectionException("pool timeout"));
                        }
                    }
                });
                return run;
            });
        }
        catch (RuntimeException expected) {
            // the caller may see the callback's failure; the transaction still committed
        }
        assertThat(runs).as("callback runs").hasValue(1);
        assertThat(admin.count("after_commit_rows")).as("rows written").isOne();
    }

    // a transaction whose only effect is NOTIFY has no id before COMMIT unless notify gives it one

    @Test
    void aNotifyOnlyTransactionWhoseCommitAnswerWasLostIsNotSentAgain() throws Exception {
        try (Connection listener = node.connect()) {
            try (Statement statement = listener.createStatement()) {
                statement.execute("listen edge_channel");
            }
            AtomicBoolean loseNextCommitAnswer = new AtomicBoolean(true);
            PostgresTemplate postgres = template(new LosingCommitAnswer(dataSource, loseNextCommitAnswer),
                    retrier(3));
            AtomicInteger runs = new AtomicInteger();
            try {
                postgres.inTransaction((status) -> {
                    runs.incrementAndGet();
                    postgres.notify("edge_channel", "order 42 paid");
                    return null;
                });
            }
            catch (RuntimeException ex) {
                // not reached today: the second run succeeds
            }
            List<String> received = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < deadline) {
                PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications(200);
                if (notifications != null) {
                    for (PGNotification notification : notifications) {
                        received.add(notification.getParameter());
                    }
                }
            }
            assertThat(runs).as("callback runs").hasValue(1);
            assertThat(received).as("notifications delivered").containsExactly("order 42 paid");
        }
    }

    /** Connections whose commit is applied by the server but whose answer is then "lost" (08006). */
    static final class LosingCommitAnswer extends DelegatingDataSource {

        private final AtomicBoolean lose;

        LosingCommitAnswer(DataSource target, AtomicBoolean lose) {
            super(target);
            this.lose = lose;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection target = super.getConnection();
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Connection.class },
                    (proxy, method, args) -> {
                        try {
                            Object result = method.invoke(target, args);
                            if (method.getName().equals("commit") && this.lose.getAndSet(false)) {
                                throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
                            }
                            return result;
                        }
                        catch (java.lang.reflect.InvocationTargetException ex) {
                            throw ex.getCause();
                        }
                    });
        }

    }

    // a check abandoned at its deadline must not keep a pooled connection

    @Test
    void aCheckThatTimedOutDoesNotKeepAPooledConnection() throws Exception {
        WrittenTransaction written;
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("insert into edge_calls values (2)");
            }
            written = CommitOutcomeCheck.record(connection);
            connection.commit();
            connection.setAutoCommit(true);
        }
        try (HikariDataSource proxied = pool(node, proxy.jdbcUrl(), 2)) {
            try (Connection warm = proxied.getConnection(); Statement statement = warm.createStatement()) {
                statement.execute("select 1");
            }
            // the primary stops answering just after the connection went back to the pool
            proxy.blackHole(true);
            CommitOutcomeCheck check = new CommitOutcomeCheck(proxied, Duration.ofMillis(300));
            Outcome outcome = check.check(written);
            assertThat(outcome.status()).isEqualTo(Status.UNKNOWN);
            // without the network timeout the abandoned check kept its connection until TCP gave up, minutes later
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
                .until(() -> proxied.getHikariPoolMXBean().getActiveConnections() == 0);
        }
    }

    // statements whose text hides a call to a writing function

    @ParameterizedTest
    @ValueSource(strings = { "select /* was: /* v1 */ don't count */ bump()",
            "select app . lower('x')", "select mypg_catalog.lower('x')", "select within(1)",
            "select $€$'$€$, bump() --'" })
    void aStatementThatWritesIsNotTakenForARead(String sql) {
        long before = admin.count("edge_calls");
        admin.execute(sql);
        boolean wrote = admin.count("edge_calls") > before;
        assertThat(wrote).as("PostgreSQL ran a writing function").isTrue();
        assertThat(SqlText.onlyReads(sql)).as("onlyReads(" + sql + ")").isFalse();
    }

    @Test
    void aQueryHidingAWritingCallBehindANestedCommentIsNotSentAgainWhenItsAnswerWasLost() {
        admin.execute("drop table if exists hidden_rows");
        admin.execute("create table hidden_rows (id int)");
        admin.execute("create or replace function add_hidden_row() returns int language plpgsql as $$ begin "
                + "insert into hidden_rows values (1); perform pg_sleep(0.3); return 1; end $$");
        String sql = "select /* was: /* v1 */ don't count */ add_hidden_row()";
        try (HikariDataSource proxied = pool(node, proxy.jdbcUrl(), 1)) {
            Retrier retrier = retrier(3);
            PostgresTemplate postgres = template(proxied, retrier);
            CompletableFuture<Long> result = CompletableFuture.supplyAsync(() -> postgres.queryCount(sql));
            admin.awaitWaiting("add_hidden_row", "PgSleep");
            proxy.blackHole(true);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> admin.count("hidden_rows") == 1);
            proxy.cutConnections();
            proxy.blackHole(false);
            try {
                result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (ExecutionException | InterruptedException | java.util.concurrent.TimeoutException ex) {
                // expected: the lost answer is reported, not retried
            }
            assertThat(admin.count("hidden_rows")).as("rows the query wrote").isOne();
        }
    }

}
