package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.DelegatingDataSource;

import static org.awaitility.Awaitility.await;

/**
 * Pools, retriers and an administrator's session for the retry tests: the administrator watches and ends the
 * sessions of the code under test, on a connection of its own straight to the node. The quick retry policy is
 * public: tests of other packages that retry use it too.
 */
public final class RetryTestSupport {

    /** Long enough for a slow machine, short enough that a hang fails the test quickly. */
    static final Duration WAIT = Duration.ofSeconds(10);

    private RetryTestSupport() {
    }

    /**
     * A pool of {@code size} connections to a JDBC URL of the node (the node's own, or a proxy's), named so that
     * {@link Admin} finds its sessions.
     */
    static HikariDataSource pool(PostgresNode node, String jdbcUrl, int size) {
        HikariDataSource dataSource = TestDataSources.pooled(node, jdbcUrl, size);
        dataSource.addDataSourceProperty("ApplicationName", "nexs-retry-tests");
        return dataSource;
    }

    /** A pool of {@code size} connections straight to the node. */
    static HikariDataSource pool(PostgresNode node, int size) {
        return pool(node, node.jdbcUrl(), size);
    }

    /**
     * Retries with short pauses, so tests that retry stay fast.
     * @param maxAttempts the most attempts, the first included
     * @return the settings
     */
    public static RetrySettings quickSettings(int maxAttempts) {
        return RetrySettings.defaults()
            .withMaxAttempts(maxAttempts)
            .withBackOff(Duration.ofMillis(5), 1.5, Duration.ofMillis(50), Duration.ofMillis(3));
    }

    /**
     * A retrier with the {@link #quickSettings(int) quick settings} and the default transient errors.
     * @param maxAttempts the most attempts, the first included
     * @return the retrier
     */
    public static Retrier retrier(int maxAttempts) {
        return new Retrier(quickSettings(maxAttempts), TransientErrors.defaults());
    }

    /** A data source whose first connection requests fail as a refused connection does (SQLSTATE 08001). */
    static final class RefusingDataSource extends DelegatingDataSource {

        private final AtomicInteger refusals;

        RefusingDataSource(DataSource target, int refusals) {
            super(target);
            this.refusals = new AtomicInteger(refusals);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (this.refusals.getAndDecrement() > 0) {
                throw new SQLException("Connection refused (by the test)", "08001");
            }
            return super.getConnection();
        }

    }

    /** A superuser's session straight to the node, for watching and ending other sessions. */
    static final class Admin implements AutoCloseable {

        private final Connection connection;

        Admin(PostgresNode node) throws SQLException {
            this.connection = node.connect();
        }

        Connection connection() {
            return this.connection;
        }

        void execute(String sql) {
            try (Statement statement = this.connection.createStatement()) {
                statement.execute(sql);
            }
            catch (SQLException ex) {
                throw new IllegalStateException(sql + " failed", ex);
            }
        }

        /**
         * Makes every {@code COMMIT} of a transaction that inserted into a table sleep as long as the session's
         * {@code nexs_test.commit_sleep} asks (seconds), with a deferred constraint trigger: time for a test to act
         * while the server is inside {@code COMMIT}.
         */
        void sleepAtCommit(String table) {
            execute("create function " + table + "_sleep() returns trigger language plpgsql as $$ begin perform "
                    + "pg_sleep(coalesce(nullif(current_setting('nexs_test.commit_sleep', true), '')::float8, 0)); "
                    + "return null; end $$");
            execute("create constraint trigger " + table + "_sleep after insert on " + table + " deferrable "
                    + "initially deferred for each row execute function " + table + "_sleep()");
        }

        /** The first column of the first row, as a number; {@code -1} when there is no row or it is NULL. */
        long number(String sql, Object... args) {
            try (PreparedStatement statement = this.connection.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    statement.setObject(i + 1, args[i]);
                }
                try (ResultSet rows = statement.executeQuery()) {
                    if (!rows.next()) {
                        return -1;
                    }
                    long value = rows.getLong(1);
                    return rows.wasNull() ? -1 : value;
                }
            }
            catch (SQLException ex) {
                throw new IllegalStateException(sql + " failed", ex);
            }
        }

        /** The ids of a table, in order. */
        List<Integer> ids(String table) {
            try (Statement statement = this.connection.createStatement();
                    ResultSet rows = statement.executeQuery("select id from " + table + " order by id")) {
                List<Integer> ids = new ArrayList<>();
                while (rows.next()) {
                    ids.add(rows.getInt(1));
                }
                return ids;
            }
            catch (SQLException ex) {
                throw new IllegalStateException("reading " + table + " failed", ex);
            }
        }

        long count(String table) {
            return number("select count(*) from " + table);
        }

        /** Whether a backend process is still there. */
        boolean isAlive(long pid) {
            return number("select count(*) from pg_stat_activity where pid = ?", (int) pid) > 0;
        }

        /** Ends a session with {@code pg_terminate_backend} and waits until its backend is gone. */
        void terminate(long pid) {
            if (number("select pg_terminate_backend(?)::int", (int) pid) != 1) {
                throw new IllegalStateException("backend " + pid + " could not be terminated");
            }
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !isAlive(pid));
        }

        /**
         * Waits for a session of the tests (not this one) that runs a statement containing {@code queryPart} and
         * waits on {@code waitEvent} (for example {@code PgSleep} or {@code advisory}), and returns its pid.
         */
        long awaitWaiting(String queryPart, String waitEvent) {
            return await().atMost(WAIT).pollInterval(Duration.ofMillis(5))
                .until(() -> waiting(queryPart, waitEvent), OptionalLong::isPresent)
                .getAsLong();
        }

        private OptionalLong waiting(String queryPart, String waitEvent) {
            long pid = number("select pid from pg_stat_activity where pid <> pg_backend_pid() "
                    + "and application_name = 'nexs-retry-tests' and wait_event = ? and strpos(query, ?) > 0 "
                    + "order by backend_start limit 1", waitEvent, queryPart);
            return (pid > 0) ? OptionalLong.of(pid) : OptionalLong.empty();
        }

        @Override
        public void close() throws SQLException {
            this.connection.close();
        }

    }

    /** The SQLSTATE anywhere in an exception's chain. */
    static @Nullable String sqlState(Throwable failure) {
        return io.nexs.postgres.error.SqlStates.of(failure);
    }

}
