package io.nexs.postgres.autoconfigure;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.notify.Notification;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.notify.Subscription;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.Retrier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.NonTransientDataAccessException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The server's time limits set through {@code nexs.postgres.*}: every pooled session of the provider and of the
 * routed {@code DataSource} starts with them, a call over a limit fails in the way the README promises, and the
 * LISTEN session, idle most of its life, is not cut by them.
 */
@ExtendWith(PostgresExtension.class)
class SessionTimeoutsTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                JdbcTemplateAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2");

    @BeforeAll
    static void startNode(PostgresNode started) throws Exception {
        node = started;
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute("create table if not exists timed (id int primary key, note text)");
            statement.execute("insert into timed values (1, 'first') on conflict do nothing");
            statement.execute("create table if not exists slow_loads (id int)");
            statement.execute("create or replace function slow_row() returns trigger language plpgsql as "
                    + "$$ begin perform pg_sleep(0.5); return new; end $$");
            statement.execute("create or replace trigger slow_row before insert on slow_loads for each row "
                    + "execute function slow_row()");
        }
    }

    @Test
    void everyPooledSessionStartsWithTheConfiguredLimits() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.statement-timeout=1500ms", "nexs.postgres.lock-timeout=2s",
                    "nexs.postgres.idle-in-transaction-session-timeout=1m")
            .run((context) -> {
                PostgresProvider postgres = context.getBean(PostgresProvider.class);
                JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                for (String setting : new String[] { "statement_timeout", "lock_timeout",
                        "idle_in_transaction_session_timeout" }) {
                    String expected = switch (setting) {
                        case "statement_timeout" -> "1500ms";
                        case "lock_timeout" -> "2s";
                        default -> "1min";
                    };
                    assertThat(postgres.queryOne(String.class, "show " + setting)).contains(expected);
                    assertThat(jdbc.queryForObject("show " + setting, String.class)).isEqualTo(expected);
                }
            });
    }

    @Test
    void unsetLimitsKeepTheServersSettings() {
        this.contextRunner.run((context) -> {
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("show statement_timeout", String.class)).isEqualTo("0");
            assertThat(jdbc.queryForObject("show lock_timeout", String.class)).isEqualTo("0");
        });
    }

    @Test
    void optionsInTheUrlAreKeptNextToTheLimits() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl()
                    + "?options=-c%20search_path%3Dpg_catalog%20-c%20lock_timeout%3D3s",
                    "nexs.postgres.statement-timeout=1s", "nexs.postgres.lock-timeout=2s")
            .run((context) -> {
                JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                assertThat(jdbc.queryForObject("show search_path", String.class)).isEqualTo("pg_catalog");
                assertThat(jdbc.queryForObject("show statement_timeout", String.class)).isEqualTo("1s");
                // the application's own value of a setting wins over the property
                assertThat(jdbc.queryForObject("show lock_timeout", String.class)).isEqualTo("3s");
            });
    }

    @Test
    void aStatementOverTheLimitIsCancelledOnceAndNotRetried() {
        this.contextRunner.withPropertyValues("nexs.postgres.statement-timeout=200ms").run((context) -> {
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            Retrier retrier = context.getBean(Retrier.class);
            long attemptsBefore = retrier.statistics().attempts();
            long start = System.nanoTime();
            assertThatExceptionOfType(QueryTimeoutException.class)
                .isThrownBy(() -> postgres.queryOne(Integer.class, "select 1 from pg_sleep(5)"))
                .satisfies((ex) -> assertThat(SqlStates.of(ex)).isEqualTo("57014"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(retrier.statistics().attempts() - attemptsBefore).isOne();
            assertThatExceptionOfType(QueryTimeoutException.class)
                .isThrownBy(() -> new JdbcTemplate(context.getBean(DataSource.class))
                    .queryForObject("select 1 from pg_sleep(5)", Integer.class));
        });
    }

    @Test
    void aStatementOverTheLimitRollsItsTransactionBack() {
        this.contextRunner.withPropertyValues("nexs.postgres.statement-timeout=200ms").run((context) -> {
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            assertThatExceptionOfType(QueryTimeoutException.class).isThrownBy(() -> postgres.inTransaction((tx) -> {
                postgres.exec("insert into timed values (2, 'in a cancelled transaction')");
                return postgres.queryOne(Integer.class, "select 1 from pg_sleep(5)");
            }));
            assertThat(postgres.queryCount("select count(*) from timed where id = 2")).isZero();
        });
    }

    @Test
    void aLockWaitOverTheLimitFailsAsALockFailure() throws Exception {
        try (Connection holder = node.connect(); Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.execute("select * from timed where id = 1 for update");
            this.contextRunner.withPropertyValues("nexs.postgres.lock-timeout=200ms").run((context) -> {
                PostgresProvider postgres = context.getBean(PostgresProvider.class);
                assertThatExceptionOfType(CannotAcquireLockException.class)
                    .isThrownBy(() -> postgres.exec("update timed set note = 'locked' where id = 1"))
                    .satisfies((ex) -> assertThat(SqlStates.of(ex)).isEqualTo("55P03"));
                // JdbcTemplate translates by SQLSTATE class alone, and class 55 means nothing to it
                assertThatExceptionOfType(NonTransientDataAccessException.class)
                    .isThrownBy(() -> new JdbcTemplate(context.getBean(DataSource.class))
                        .update("update timed set note = 'locked' where id = 1"))
                    .satisfies((ex) -> assertThat(SqlStates.of(ex)).isEqualTo("55P03"));
            });
            holder.rollback();
        }
    }

    @Test
    void aTransactionLeftIdleOverTheLimitIsEndedAndRolledBack() {
        this.contextRunner.withPropertyValues("nexs.postgres.idle-in-transaction-session-timeout=200ms")
            .run((context) -> {
                JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                TransactionTemplate transaction = context.getBean(TransactionTemplate.class);
                assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> transaction.execute((tx) -> {
                    jdbc.update("insert into timed values (3, 'idle too long')");
                    // the subject of the test: the session idles inside its transaction until the server ends it
                    awaitEnded(jdbc.queryForObject("select pg_backend_pid()", Integer.class));
                    return jdbc.queryForObject("select 1", Integer.class);
                })).isInstanceOf(NonTransientDataAccessException.class)
                    .satisfies((ex) -> assertThat(SqlStates.of(ex)).isEqualTo("25P03"));
                // the ended session is not handed out again
                for (int i = 0; i < 4; i++) {
                    assertThat(jdbc.queryForObject("select count(*) from timed where id = 3", Integer.class)).isZero();
                }
                PostgresProvider postgres = context.getBean(PostgresProvider.class);
                assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> postgres.inTransaction((tx) -> {
                    postgres.exec("insert into timed values (3, 'idle too long')");
                    awaitEnded(postgres.queryOne(Integer.class, "select pg_backend_pid()").orElseThrow());
                    return postgres.queryCount("select 1");
                })).isInstanceOf(NonTransientDataAccessException.class)
                    .satisfies((ex) -> assertThat(SqlStates.of(ex)).isEqualTo("25P03"));
                for (int i = 0; i < 4; i++) {
                    assertThat(postgres.queryCount("select count(*) from timed where id = 3")).isZero();
                }
            });
    }

    @Test
    void aCopyKeepsTheLimitAndATransactionMayRaiseItForItsOwnLoad() {
        this.contextRunner.withPropertyValues("nexs.postgres.statement-timeout=200ms").run((context) -> {
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            assertThatExceptionOfType(QueryTimeoutException.class)
                .isThrownBy(() -> postgres.copy().into("slow_loads").columns("id").rows(List.of(List.of(1))));
            long loaded = postgres.inTransaction((tx) -> {
                postgres.exec("set local statement_timeout = '10s'");
                return postgres.copy().into("slow_loads").columns("id").rows(List.of(List.of(2))).rows();
            });
            assertThat(loaded).isOne();
            assertThat(postgres.queryOne(String.class, "show statement_timeout")).contains("200ms");
        });
    }

    @Test
    void theListenSessionIdlesPastTheLimitsAndKeepsListening() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.statement-timeout=100ms",
                    "nexs.postgres.idle-in-transaction-session-timeout=100ms")
            .run((context) -> {
                PostgresProvider postgres = context.getBean(PostgresProvider.class);
                NotificationListenerContainer container = context.getBean(NotificationListenerContainer.class);
                BlockingQueue<Notification> received = new ArrayBlockingQueue<>(4);
                String listener = "select pid from pg_stat_activity where backend_type = 'client backend' "
                        + "and query ilike 'listen%'";
                try (Subscription subscription = container.listen("timed_events", received::add)) {
                    long pid = postgres.queryOne(Long.class, listener).orElseThrow();
                    // the subject of the test: the LISTEN session stays idle for longer than both limits
                    await().atMost(Duration.ofSeconds(10))
                        .until(() -> postgres.queryOne(Boolean.class, "select now() - state_change > interval '300 ms' "
                                + "from pg_stat_activity where pid = ?", pid).orElse(false));
                    postgres.notify("timed_events", "still here");
                    assertThat(received.poll(10, TimeUnit.SECONDS)).isNotNull()
                        .satisfies((notification) -> assertThat(notification.payload()).isEqualTo("still here"));
                    assertThat(postgres.queryOne(Long.class, listener)).contains(pid);
                }
            });
    }

    /** Waits, from another session, until the server has ended the session with the given process id. */
    private static void awaitEnded(int pid) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Connection connection = node.connect();
                    PreparedStatement statement = connection
                        .prepareStatement("select count(*) from pg_stat_activity where pid = ?")) {
                statement.setInt(1, pid);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    return rows.getInt(1) == 0;
                }
            }
        });
    }

}
