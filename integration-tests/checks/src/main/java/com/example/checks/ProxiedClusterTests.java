package com.example.checks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.awaitility.Awaitility.await;

/**
 * The database of a test class that breaks things: a PostgreSQL primary with one synchronous standby, each behind a
 * {@link TcpProxy}, and the application pointed at the proxies. Commits wait for the standby to flush them
 * ({@code synchronous_commit=on}), not to replay them, so the standby keeps every acknowledged commit through a
 * crash of the primary, and pausing its replay leaves it behind without holding up commits.
 *
 * <p>The helpers act on the table {@code note (id, text)} that every application shape keeps. The context is
 * closed after the class ({@code @DirtiesContext}), the proxies and the cluster after that ({@code @AutoClose}).
 */
@DirtiesContext
public abstract class ProxiedClusterTests {

    /** How long a fault's effect is waited for: generous, since the machine may be loaded. */
    protected static final Duration WAIT = Duration.ofSeconds(30);

    /** Notes whose text starts with this make their transaction's {@code COMMIT} sleep (see {@link #slowCommits}). */
    protected static final String SLOW_COMMIT = "sleeps at commit";

    private static final double COMMIT_SLEEP_SECONDS = 1;

    @AutoClose
    private static PostgresCluster cluster;

    @AutoClose
    private static TcpProxy primaryProxy;

    @AutoClose
    private static TcpProxy standbyProxy;

    @BeforeAll
    protected static void startProxiedCluster() {
        cluster = PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .setting("synchronous_commit", "on")
            .durable(false)
            .password(UUID.randomUUID().toString())
            .start();
        primaryProxy = TcpProxy.forNode(cluster.primary());
        standbyProxy = TcpProxy.forNode(standby());
    }

    @DynamicPropertySource
    static void connectThroughTheProxies(DynamicPropertyRegistry registry) {
        // one multi-host URL naming the proxies, primary first, as an application's configuration would
        registry.add("nexs.postgres.url",
                () -> "jdbc:postgresql://" + primaryProxy.address() + "," + standbyProxy.address() + "/postgres");
        registry.add("nexs.postgres.username", () -> cluster.primary().username());
        registry.add("nexs.postgres.password", () -> cluster.primary().password());
    }

    /** The cluster of the running test class. */
    protected static PostgresCluster cluster() {
        return cluster;
    }

    /** The synchronous standby, the primary after {@link #crashPrimaryAndPromoteStandby()}. */
    protected static PostgresNode standby() {
        return cluster.standbys().get(0);
    }

    /** The proxy the application reaches the primary through. */
    protected static TcpProxy primaryProxy() {
        return primaryProxy;
    }

    /**
     * Makes the {@code COMMIT} of a transaction that inserted a note whose text starts with {@link #SLOW_COMMIT}
     * sleep for a while inside the server, after the transaction's work and before its answer: a deferred constraint
     * trigger runs at commit. Other notes commit at once. Run it once the application has created its table.
     */
    protected static void slowCommits() throws SQLException {
        execute(cluster.primary(), "create or replace function sleep_at_commit() returns trigger language plpgsql "
                + "as $$ begin if new.text like '" + SLOW_COMMIT + "%' then perform pg_sleep(" + COMMIT_SLEEP_SECONDS
                + "); end if; return null; end $$");
        execute(cluster.primary(), "drop trigger if exists sleep_at_commit on note");
        execute(cluster.primary(), "create constraint trigger sleep_at_commit after insert on note "
                + "deferrable initially deferred for each row execute function sleep_at_commit()");
    }

    /** Awaits a session of the primary sleeping inside {@code COMMIT} (see {@link #slowCommits()}). */
    protected static void awaitSleepingCommit() {
        await().atMost(WAIT)
            .pollInterval(Duration.ofMillis(10))
            .until(() -> number(cluster.primary(), "select count(*) from pg_stat_activity where wait_event = "
                    + "'PgSleep' and query ilike 'commit%'") > 0);
    }

    /** Kills the primary's server (SIGKILL) and promotes the standby, as a cluster manager would. */
    protected static void crashPrimaryAndPromoteStandby() {
        cluster.primary().crash();
        standby().promote();
    }

    /** Pauses the replay of WAL on the standby: it keeps receiving and flushing (commits go on), but falls behind. */
    protected static void pauseReplay() throws SQLException {
        execute(standby(), "select pg_wal_replay_pause()");
        await().atMost(WAIT)
            .until(() -> number(standby(), "select count(*) where pg_get_wal_replay_pause_state() = 'paused'") == 1);
    }

    /** Resumes the replay of WAL on the standby. */
    protected static void resumeReplay() throws SQLException {
        execute(standby(), "select pg_wal_replay_resume()");
    }

    /** How many notes with this text the node has, read over plain JDBC past the application. */
    protected static long notesWithText(PostgresNode node, String text) throws SQLException {
        return number(node, "select count(*) from note where text = ?", text);
    }

    /** The texts of the notes starting with {@code prefix} that the node has, each as often as it is there. */
    protected static List<String> textsStartingWith(PostgresNode node, String prefix) throws SQLException {
        try (Connection connection = node.connect();
                PreparedStatement statement = connection
                    .prepareStatement("select text from note where starts_with(text, ?) order by id")) {
            statement.setString(1, prefix);
            List<String> texts = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    texts.add(rows.getString(1));
                }
            }
            return texts;
        }
    }

    /** The exception and its causes, class and message each, for an assertion's description. */
    protected static String describe(Throwable failure) {
        List<String> chain = new ArrayList<>();
        for (Throwable cause = failure; cause != null && chain.size() < 6; cause = cause.getCause()) {
            chain.add(cause.getClass().getName() + ": " + cause.getMessage());
        }
        return String.join(" <- ", chain);
    }

    private static void execute(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static long number(PostgresNode node, String sql, Object... parameters) throws SQLException {
        try (Connection connection = node.connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

}
