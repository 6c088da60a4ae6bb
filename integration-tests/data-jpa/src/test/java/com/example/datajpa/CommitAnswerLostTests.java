package com.example.datajpa;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.tx.CommitOutcomeUnknownException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessResourceException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A {@code @Transactional} JPA save whose {@code COMMIT} loses its answer: Hibernate commits on the routed data
 * source's connection, which settles the commit. The node sits behind a {@link TcpProxy} that cuts the answer; a
 * deferred trigger makes {@code COMMIT} sleep for a note whose text asks ({@code sleep 0.5 ...}), so that the test
 * acts while the server is inside it.
 *
 * <p>{@code JpaTransactionManager} translates what the connection's {@code commit()} threw by its type: a commit
 * the primary did not make is transient, an unknown outcome is not, and Hibernate's rollback after the failed
 * commit does not replace either.
 */
class CommitAnswerLostTests {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static PostgresNode node;

    private static TcpProxy proxy;

    private static ConfigurableApplicationContext application;

    @BeforeAll
    static void start() throws SQLException {
        node = PostgresNode.builder().durable(false).password(UUID.randomUUID().toString()).start();
        execute("create table note (id bigserial primary key, text varchar(255))",
                "create function note_sleep() returns trigger language plpgsql as $$ begin "
                        + "perform pg_sleep(coalesce(substring(new.text from '^sleep ([0-9.]+)')::float8, 0)); "
                        + "return null; end $$",
                "create constraint trigger note_sleep after insert on note deferrable initially deferred "
                        + "for each row execute function note_sleep()");
        proxy = TcpProxy.forNode(node);
        application = new SpringApplicationBuilder(DataJpaApplication.class).run(
                "--nexs.postgres.url=" + proxy.jdbcUrl(), "--nexs.postgres.username=" + node.username(),
                "--nexs.postgres.password=" + node.password(), "--nexs.postgres.retry.verify-commit-timeout=1s");
    }

    @AfterEach
    void healTheNetwork() {
        proxy.blackHole(false);
        proxy.refuseNewConnections(false);
        PostgresProvider provider = application.getBean(PostgresProvider.class);
        await().atMost(WAIT).until(() -> provider.topology().primary().isPresent());
    }

    @AfterAll
    static void stop() {
        if (application != null) {
            application.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private static void execute(String... statements) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static long number(String sql, Object... args) throws SQLException {
        try (Connection connection = node.connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                statement.setObject(i + 1, args[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getLong(1) : -1;
            }
        }
    }

    private static long notes(String text) throws SQLException {
        return number("select count(*) from note where text = ?", text);
    }

    /** The session sleeping inside {@code COMMIT}, once it is there. */
    private static long sleepingCommit() {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> number("select pid from "
                + "pg_stat_activity where wait_event = 'PgSleep' and query ilike 'commit%' limit 1"), (pid) -> pid > 0);
    }

    private static CompletableFuture<Long> add(String text) {
        NoteService service = application.getBean(NoteService.class);
        return CompletableFuture.supplyAsync(() -> service.add(text));
    }

    private static Throwable failure(CompletableFuture<?> result) {
        ExecutionException failed = catchThrowableOfType(ExecutionException.class,
                () -> result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertThat(failed).as("the save failed").isNotNull();
        return failed.getCause();
    }

    @Test
    void aSaveWhoseCommitAnswerIsLostReturnsAndTheNoteIsThereOnce() throws Exception {
        String text = "sleep 0.5 answer lost";
        CompletableFuture<Long> result = add(text);
        long backend = sleepingCommit();
        // the server's answer to COMMIT never reaches the application
        proxy.blackHole(true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> notes(text) == 1);
        proxy.cutConnections();
        proxy.blackHole(false);

        assertThat(result.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isPositive();
        assertThat(notes(text)).isOne();
        await().atMost(WAIT).until(() -> number("select count(*) from pg_stat_activity where pid = ?", backend) == 0);
    }

    @Test
    void aSaveWhoseCommitTheServerDidNotMakeIsTransient() throws Exception {
        String text = "sleep 5 terminated";
        CompletableFuture<Long> result = add(text);
        assertThat(number("select pg_terminate_backend(?::int)::int", sleepingCommit())).isOne();

        assertThat(failure(result)).isInstanceOf(TransientDataAccessResourceException.class)
            .hasMessageContaining("did not commit");
        assertThat(notes(text)).isZero();
    }

    @Test
    void aSaveWhoseCommitOutcomeIsUnknownSaysSo() throws Exception {
        String text = "sleep 1 unknown";
        CompletableFuture<Long> result = add(text);
        long backend = sleepingCommit();
        proxy.refuseNewConnections(true);
        proxy.cutConnections();

        // Hibernate's translation by exception type: not transient, and the outcome is the cause of its cause
        Throwable failure = failure(result);
        assertThat(failure).isInstanceOf(DataAccessResourceFailureException.class)
            .hasMessageContaining("outcome is unknown");
        assertThat(failure.getCause()).isInstanceOf(SQLException.class);
        assertThat(failure.getCause().getCause()).isInstanceOf(CommitOutcomeUnknownException.class);
        // nobody ended the session, so the server committed
        await().atMost(WAIT).until(() -> number("select count(*) from pg_stat_activity where pid = ?", backend) == 0);
        assertThat(notes(text)).isOne();
    }

}
