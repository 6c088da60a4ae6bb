package io.nexs.postgres.autoconfigure;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.tx.CommitOutcomeUnknownException;
import io.nexs.postgres.tx.PostgresTransactionManager;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetryStatistics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.TransactionManager;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Spring's own transactions over the routed data source: {@code @Transactional} and {@code TransactionTemplate} get
 * a transaction manager that settles a {@code COMMIT} whose connection was lost. The server sleeps inside
 * {@code COMMIT} (a deferred constraint trigger) while the test cuts the connection at a {@link TcpProxy} in front
 * of the node, hides the server's answer, or ends the session.
 */
@ExtendWith(PostgresExtension.class)
class TransactionManagerAutoConfigurationTests {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static PostgresNode node;

    private static TcpProxy proxy;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresTransactionManagerAutoConfiguration.class,
                TransactionManagerCustomizationAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                JdbcTemplateAutoConfiguration.class))
        .withUserConfiguration(OrdersConfiguration.class)
        .withPropertyValues("nexs.postgres.url=" + proxy.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=1", "nexs.postgres.application-name=nexs-commit-tests");

    @BeforeAll
    static void start(PostgresNode started) throws SQLException {
        node = started;
        proxy = TcpProxy.forNode(node);
        admin("create table spring_commits (id int primary key)");
        admin("create function spring_commit_sleep() returns trigger language plpgsql as $$ begin "
                + "perform pg_sleep(coalesce(nullif(current_setting('nexs_test.commit_sleep', true), '')::float8, 0)); "
                + "return null; end $$");
        admin("create constraint trigger spring_commit_sleep after insert on spring_commits "
                + "deferrable initially deferred for each row execute function spring_commit_sleep()");
    }

    @AfterEach
    void healTheNetwork() {
        proxy.blackHole(false);
        proxy.refuseNewConnections(false);
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @Test
    void springTransactionsGetTheManagerThatSettlesLostCommits() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("transactionManager")).isInstanceOf(PostgresTransactionManager.class);
            assertThat(context.getBean(TransactionTemplate.class).getTransactionManager())
                .isSameAs(context.getBean(TransactionManager.class));
        });
    }

    @Test
    void aCommitWhoseAnswerIsLostIsFoundCommittedAndReturnsNormally() {
        this.contextRunner.run((context) -> {
            Orders orders = context.getBean(Orders.class);
            CompletableFuture<Void> result = CompletableFuture.runAsync(() -> orders.insert(1, 0.5));
            awaitSleepingCommit();
            // the server's answer to COMMIT never reaches the client
            proxy.blackHole(true);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> rows(1) == 1);
            proxy.cutConnections();
            proxy.blackHole(false);

            result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(rows(1)).isOne();
            RetryStatistics statistics = context.getBean(Retrier.class).statistics();
            assertThat(statistics.commitsVerified()).isOne();
            assertThat(statistics.commitsUnknown()).isZero();
        });
    }

    @Test
    void aLostCommitThePrimaryCannotSettleInTimeIsReportedUnknownNeverTransient() {
        this.contextRunner.withPropertyValues("nexs.postgres.retry.verify-commit-timeout=800ms").run((context) -> {
            TransactionTemplate transactions = context.getBean(TransactionTemplate.class);
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            CompletableFuture<Void> result = CompletableFuture.runAsync(() -> transactions.executeWithoutResult(
                    (status) -> Orders.insert(jdbc, 2, 1)));
            awaitSleepingCommit();
            proxy.refuseNewConnections(true);
            proxy.cutConnections();

            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isInstanceOfSatisfying(CommitOutcomeUnknownException.class,
                        (ex) -> assertThat(ex.getTransactionId()).isPositive());
            assertThat(context.getBean(Retrier.class).statistics().commitsUnknown()).isOne();
            // nobody ended the session, so the server went on to commit it
            await().atMost(WAIT).until(() -> rows(2) == 1);
        });
    }

    @Test
    void springSetToRollBackAfterAFailedCommitStillReportsTheUnknownOutcome() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.retry.verify-commit-timeout=800ms",
                    "spring.transaction.rollback-on-commit-failure=true")
            .run((context) -> {
                assertThat(context.getBean(PostgresTransactionManager.class).isRollbackOnCommitFailure())
                    .as("Spring Boot's customizers applied").isTrue();
                Orders orders = context.getBean(Orders.class);
                CompletableFuture<Void> result = CompletableFuture.runAsync(() -> orders.insert(4, 1));
                awaitSleepingCommit();
                proxy.refuseNewConnections(true);
                proxy.cutConnections();

                assertThatExceptionOfType(ExecutionException.class)
                    .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                    .havingCause()
                    .isInstanceOf(CommitOutcomeUnknownException.class);
                await().atMost(WAIT).until(() -> rows(4) == 1);
            });
    }

    @Test
    void aLostCommitFoundAbortedSaysItDidNotCommit() {
        this.contextRunner.run((context) -> {
            Orders orders = context.getBean(Orders.class);
            CompletableFuture<Void> result = CompletableFuture.runAsync(() -> orders.insert(3, 5));
            long backend = awaitSleepingCommit();
            admin("select pg_terminate_backend(" + backend + ")");

            assertThatExceptionOfType(ExecutionException.class)
                .isThrownBy(() -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .havingCause()
                .isInstanceOf(TransactionSystemException.class)
                .isNotInstanceOf(TransientDataAccessException.class)
                .withMessageContaining("did not commit");
            assertThat(rows(3)).isZero();
            assertThat(context.getBean(Retrier.class).statistics().commitsUnknown()).isZero();
        });
    }

    /** Waits for the application's session to sleep inside {@code COMMIT}, and returns its pid. */
    private static long awaitSleepingCommit() {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(5))
            .until(() -> number("select coalesce(max(pid), 0) from pg_stat_activity where wait_event = 'PgSleep' "
                    + "and application_name = 'nexs-commit-tests' and query ilike 'commit%'"), (pid) -> pid > 0);
    }

    private static long rows(int id) {
        return number("select count(*) from spring_commits where id = " + id);
    }

    private static void admin(String sql) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static long number(String sql) {
        try (Connection connection = node.connect(); PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
        catch (SQLException ex) {
            throw new IllegalStateException(sql + " failed", ex);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OrdersConfiguration {

        @Bean
        Orders orders(JdbcTemplate jdbc) {
            return new Orders(jdbc);
        }

    }

    static class Orders {

        private final JdbcTemplate jdbc;

        Orders(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        /** Inserts a row; the server sleeps {@code seconds} inside COMMIT. */
        @Transactional
        public void insert(int id, double seconds) {
            insert(this.jdbc, id, seconds);
        }

        static void insert(JdbcTemplate jdbc, int id, double seconds) {
            jdbc.execute("set local nexs_test.commit_sleep = '" + seconds + "'");
            jdbc.update("insert into spring_commits values (?)", id);
        }

    }

}
