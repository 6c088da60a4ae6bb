package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.nexs.postgres.error.SqlStates;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether a transaction committed after the connection was lost while {@code COMMIT} was in flight.
 *
 * <p>Inside the transaction, just before {@code COMMIT} is sent, {@link #record(Connection)} notes the id the
 * server gave the transaction ({@code pg_current_xact_id_if_assigned()}; a transaction that wrote nothing has none
 * and needs no check) and which server that is. After the failure, {@link #check} asks the current primary on
 * another connection for {@code pg_xact_status} of that id:
 * <ul>
 * <li>{@code committed}: the work is done and must not run again;
 * <li>{@code aborted}: nothing was applied, and the work may run again;
 * <li>{@code in progress}: the server has not noticed the lost connection yet; the session that still holds the
 * transaction is ended with {@code pg_terminate_backend}, which settles it either way, and the status is asked
 * again;
 * <li>anything else, or no answer in time: the outcome is unknown.
 * </ul>
 *
 * <p>Transaction ids are only meaningful on the server and timeline that assigned them. After a failover the new
 * primary continues from the last id it replayed and hands out ids the old primary may already have used for
 * transactions that never reached it; a server that crashed hands out again the ids of transactions whose WAL
 * was lost with it. So each side names its server by the server's own answer (address and port as the server
 * sees them, the timeline it writes on, and when it started), and when the answering
 * server is not the one the transaction ran on, {@code committed} proves nothing and the outcome is unknown;
 * {@code aborted}, or an id the server has not reached yet, still means the transaction is not part of its
 * history.
 *
 * <p>{@code committed} on the primary is not yet what the application was promised when the primary runs
 * synchronous replication: the commit record reaches the primary's commit log before the session waits for the
 * standbys, so a session ended during that wait (by this check, an administrator or a crash of the client) leaves
 * a transaction committed locally that the standbys may never receive. So {@link #record(Connection)} also notes
 * the transaction's {@code synchronous_commit} and the primary's {@code synchronous_standby_names}; when the commit
 * waits for standbys ({@code on}, {@code remote_write} or {@code remote_apply} with standbys named), the check
 * reads the primary's WAL position, which is past the commit record, and waits until enough synchronous standbys
 * in {@code pg_stat_replication} have written, flushed or replayed past it, as the level promises. Until then, or
 * when the role may not read those positions ({@code pg_read_all_stats}), the outcome is unknown. It is
 * conservative: only standbys in state {@code sync} or {@code quorum} count, a list it cannot parse needs all of
 * them, and a transaction recorded without its settings is held to {@code remote_apply} and the primary's
 * current list.
 *
 * <p>The whole check, connection included, is bounded by the timeout: it runs on a helper thread that is
 * abandoned when the time is up, so a data source that waits for a primary cannot hold the caller longer.
 */
public final class CommitOutcomeCheck {

    private static final Logger logger = LoggerFactory.getLogger(CommitOutcomeCheck.class);

    /**
     * Names the server (on a standby there is no WAL position to read the timeline from), and the standbys its
     * commits wait for: none without WAL senders, whatever the list says.
     */
    private static final String SERVER_COLUMNS = "host(inet_server_addr()), current_setting('port'), "
            + "case when pg_is_in_recovery() then null else substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) end, "
            + "pg_postmaster_start_time()::text, "
            + "case when current_setting('max_wal_senders')::int > 0 "
            + "then current_setting('synchronous_standby_names') else '' end";

    private static final String RECORD_SQL = "select pg_current_xact_id_if_assigned()::text, " + SERVER_COLUMNS
            + ", current_setting('synchronous_commit')";

    /** Past the commit record of any transaction {@code pg_xact_status} already reports committed. */
    private static final String WAL_POSITION_SQL = "select pg_current_wal_lsn()::text";

    /** A list such as {@code FIRST 2 (a, b, c)}, {@code ANY 1 (a, b)} or {@code 2 (a, b)}. */
    private static final Pattern COUNTED_STANDBYS = Pattern
        .compile("(?is)(?:(?:first|any)\\s+)?(\\d{1,6})\\s*\\(.*\\)");

    private static final String SERVER_SQL = "select null, " + SERVER_COLUMNS;

    private static final String STATUS_SQL = "select pg_xact_status(?::xid8)";

    private static final String TERMINATE_SQL = "select pg_terminate_backend(pid) from pg_stat_activity "
            + "where backend_xid::text = ? and pid <> pg_backend_pid()";

    private static final long PAUSE_MILLIS = 20;

    /** The timeline a standby is given in a server's name: it writes on none. */
    private static final String STANDBY = "none (a standby)";

    /** Time for the helper thread to hand back an answer found just at the deadline. */
    private static final long GRACE_MILLIS = 200;

    private final DataSource primary;

    private final Duration timeout;

    /**
     * Creates a check.
     * @param primary connections to the current primary
     * @param timeout how long a check may take, connecting included
     */
    public CommitOutcomeCheck(DataSource primary, Duration timeout) {
        this.primary = Objects.requireNonNull(primary, "primary");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Notes the id of the transaction open on a connection, the server it runs on, and the standbys its commit
     * waits for ({@code synchronous_commit}, {@code synchronous_standby_names}), just before its commit, in one
     * round trip. The query cannot fail on a healthy connection, so it cannot spoil the transaction.
     * @param connection the transaction's connection
     * @return the transaction, or {@code null} when it has not written anything
     * @throws SQLException when the server cannot be asked
     */
    public static @Nullable WrittenTransaction record(Connection connection) throws SQLException {
        // prepared, so that the driver soon keeps it prepared on the server for the connection's next commits
        try (PreparedStatement statement = connection.prepareStatement(RECORD_SQL);
                ResultSet result = statement.executeQuery()) {
            result.next();
            String id = result.getString(1);
            return (id != null) ? new WrittenTransaction(Long.parseUnsignedLong(id), server(result),
                    result.getString(7), result.getString(6)) : null;
        }
    }

    private static Server identify(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(SERVER_SQL)) {
            result.next();
            String standbys = result.getString(6);
            return new Server(server(result), (standbys != null) ? standbys : "");
        }
    }

    private static String server(ResultSet result) throws SQLException {
        String address = result.getString(2);
        String walFile = result.getString(4);
        String timeline = (walFile != null) ? Long.toString(Long.parseLong(walFile, 16)) : STANDBY;
        return ((address != null) ? address : "local socket") + ":" + result.getString(3) + " (timeline " + timeline
                + ", started " + result.getString(5) + ")";
    }

    /**
     * Asks the current primary what became of a transaction, within the timeout.
     * @param transaction the transaction from {@link #record(Connection)}
     * @return the outcome
     */
    public Outcome check(WrittenTransaction transaction) {
        Future<Outcome> answer;
        try {
            answer = Helpers.EXECUTOR.submit(() -> settle(transaction));
        }
        catch (RejectedExecutionException ex) {
            return Outcome.unknown("no thread was available to ask the primary");
        }
        try {
            return answer.get(this.timeout.toMillis() + GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
        catch (TimeoutException ex) {
            answer.cancel(true);
            return Outcome.unknown("the primary could not be asked within " + this.timeout.toMillis() + " ms");
        }
        catch (ExecutionException ex) {
            return Outcome.unknown("the check failed (" + describe(ex.getCause()) + ")");
        }
        catch (InterruptedException ex) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            return Outcome.unknown("interrupted while asking the primary");
        }
    }

    private Outcome settle(WrittenTransaction transaction) {
        long deadline = System.nanoTime() + this.timeout.toNanos();
        String lastProblem = "no answer";
        boolean terminated = false;
        while (true) {
            try (Connection connection = this.primary.getConnection()) {
                // the caller stops waiting at the deadline: neither this thread nor the connection may outlive it
                connection.setNetworkTimeout(Runnable::run,
                        (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                Server server = identify(connection);
                String answering = server.name();
                if (answering.contains(STANDBY)) {
                    // a standby's history may lag: even "aborted" or an id it never reached proves nothing
                    lastProblem = "the server asked, " + answering + ", is a standby";
                }
                else {
                    boolean sameServer = transaction.server().equals(answering);
                    String status = status(connection, transaction.id());
                    if ("in progress".equals(status) && sameServer) {
                        if (!terminated) {
                            terminated = true;
                            terminate(connection, transaction.id());
                        }
                        lastProblem = "the transaction was still in progress";
                    }
                    else if ("aborted".equals(status)) {
                        return Outcome.aborted();
                    }
                    else if ("committed".equals(status) && sameServer) {
                        Replication promised = Replication.of(transaction, server.synchronousStandbyNames());
                        return (promised != null) ? awaitStandbys(connection, promised, deadline)
                                : Outcome.committed();
                    }
                    else if (!sameServer) {
                        return Outcome.unknown("it ran on " + transaction.server() + ", but writes moved to "
                                + answering + " before the outcome could be asked, which reports the id as " + status);
                    }
                    else {
                        return Outcome.unknown("the primary reports the transaction as " + status);
                    }
                }
            }
            catch (SQLException | RuntimeException ex) {
                if (isFutureTransaction(ex)) {
                    // the answering server never reached the id: the transaction is not in its history
                    return Outcome.aborted();
                }
                lastProblem = "the primary could not be asked (" + describe(ex) + ")";
            }
            if (System.nanoTime() - deadline >= 0) {
                return Outcome.unknown(lastProblem + " within " + this.timeout.toMillis() + " ms");
            }
            if (!pause()) {
                return Outcome.unknown("interrupted while asking the primary");
            }
        }
    }

    /**
     * Waits until enough synchronous standbys are past the primary's WAL position, which is past the commit
     * record, as the transaction's level promises; unknown when that is not seen before the deadline.
     */
    private Outcome awaitStandbys(Connection connection, Replication promised, long deadline) throws SQLException {
        String position;
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(WAL_POSITION_SQL)) {
            result.next();
            position = result.getString(1);
        }
        String countSql = "select count(*) filter (where " + promised.column() + " >= ?::pg_lsn), count(*), "
                + "count(*) filter (where sync_state is null) from pg_stat_replication "
                + "where sync_state is null or sync_state in ('sync', 'quorum')";
        try (PreparedStatement statement = connection.prepareStatement(countSql)) {
            statement.setString(1, position);
            while (true) {
                long past;
                long synchronous;
                long hidden;
                try (ResultSet result = statement.executeQuery()) {
                    result.next();
                    past = result.getLong(1);
                    synchronous = result.getLong(2) - result.getLong(3);
                    hidden = result.getLong(3);
                }
                long needed = (promised.standbys() > 0) ? promised.standbys() : Math.max(1, synchronous);
                if (past >= needed) {
                    return Outcome.committed();
                }
                if (System.nanoTime() - deadline >= 0 || !pause()) {
                    String seen = (hidden > 0 && synchronous == 0)
                            ? "the role may not see the standbys' positions in pg_stat_replication (grant it "
                                    + "pg_read_all_stats)"
                            : past + " of " + synchronous + " connected synchronous standbys had, " + needed
                                    + " needed";
                    return Outcome.unknown("it committed on the primary, but is not known to be on the synchronous "
                            + "standbys as synchronous_commit = " + promised.level() + " promises (" + seen
                            + " within " + this.timeout.toMillis() + " ms); if the primary is lost, the "
                            + "transaction may be lost with it");
                }
            }
        }
    }

    private static boolean pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(PAUSE_MILLIS);
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static @Nullable String status(Connection connection, long transactionId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(STATUS_SQL)) {
            statement.setString(1, Long.toUnsignedString(transactionId));
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getString(1);
            }
        }
    }

    private static void terminate(Connection connection, long transactionId) {
        // backend_xid is the 32-bit id; the 64-bit one adds the epoch in its high half
        String xid = Long.toUnsignedString(transactionId & 0xFFFF_FFFFL);
        try (PreparedStatement statement = connection.prepareStatement(TERMINATE_SQL)) {
            statement.setString(1, xid);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    logger.info("Ended the session still holding transaction {}, whose client lost its connection "
                            + "during COMMIT, so its outcome is settled", Long.toUnsignedString(transactionId));
                }
            }
        }
        catch (SQLException ex) {
            logger.debug("Could not end the session holding transaction {}: {}",
                    Long.toUnsignedString(transactionId), describe(ex));
        }
    }

    /**
     * How many synchronous standbys a {@code synchronous_standby_names} list makes a commit wait for.
     * @param names the list
     * @return its number; {@code 1} for a plain list; {@code 0}, meaning all that are connected, when unclear
     */
    static int standbysNeeded(String names) {
        return Replication.standbysNeeded(names);
    }

    private static boolean isFutureTransaction(Throwable ex) {
        // pg_xact_status raises 22023 for an id beyond the server's next one
        return "22023".equals(SqlStates.of(ex));
    }

    private static String describe(Throwable ex) {
        String state = SqlStates.of(ex);
        return ex.getClass().getSimpleName() + ((state != null) ? ", SQLSTATE " + state : "");
    }

    /**
     * A transaction that wrote, as noted just before its commit.
     *
     * @param id the 64-bit transaction id
     * @param server the server it ran on, as the server describes itself
     * @param synchronousCommit the {@code synchronous_commit} it ran with, or {@code null} when not recorded
     * @param synchronousStandbyNames the standbys its commit waits for ({@code synchronous_standby_names}, empty
     * for none), or {@code null} when not recorded
     */
    public record WrittenTransaction(long id, String server, @Nullable String synchronousCommit,
            @Nullable String synchronousStandbyNames) {

        public WrittenTransaction {
            Objects.requireNonNull(server, "server");
        }

        /**
         * A transaction whose settings were not recorded: its commit is held to the strictest level.
         * @param id the 64-bit transaction id
         * @param server the server it ran on, as the server describes itself
         */
        public WrittenTransaction(long id, String server) {
            this(id, server, null, null);
        }

        /**
         * Whether its commit may have waited for synchronous standbys, so that it is committed as promised only
         * once they have it.
         * @return {@code false} only when its level or the empty list of standbys says no wait
         */
        public boolean waitsForStandbys() {
            return Replication.column(this.synchronousCommit) != null
                    && (this.synchronousStandbyNames == null || !this.synchronousStandbyNames.isBlank());
        }

    }

    /** The server that answers a check, and the standbys its commits wait for now. */
    private record Server(String name, String synchronousStandbyNames) {

    }

    /**
     * What a commit that waits for synchronous standbys promises.
     *
     * @param level the {@code synchronous_commit} level
     * @param column the position in {@code pg_stat_replication} that level waits for
     * @param standbys how many synchronous standbys must be past the commit; {@code 0} for all that are connected
     */
    private record Replication(String level, String column, int standbys) {

        /** What the transaction's commit promises, or {@code null} when it waits for no standby. */
        static @Nullable Replication of(WrittenTransaction transaction, String currentStandbys) {
            String column = column(transaction.synchronousCommit());
            String recorded = transaction.synchronousStandbyNames();
            // the list when the transaction committed; the primary's current one if that was empty or unknown
            String names = (recorded != null && !recorded.isBlank()) ? recorded : currentStandbys;
            if (column == null || names.isBlank()) {
                return null;
            }
            String level = (transaction.synchronousCommit() != null) ? transaction.synchronousCommit()
                    : "remote_apply (assumed: not recorded)";
            return new Replication(level, column, standbysNeeded(names));
        }

        /** The position a level waits for, or {@code null} for none; a level not recorded or not known waits most. */
        static @Nullable String column(@Nullable String level) {
            if (level == null) {
                return "replay_lsn";
            }
            return switch (level) {
                case "off", "local" -> null;
                case "remote_write" -> "write_lsn";
                case "on" -> "flush_lsn";
                default -> "replay_lsn";
            };
        }

        /** The number in the list; a plain list waits for its first connected standby; {@code 0} if unclear. */
        static int standbysNeeded(String names) {
            String text = names.strip();
            Matcher counted = COUNTED_STANDBYS.matcher(text);
            if (counted.matches()) {
                return Math.max(1, Integer.parseInt(counted.group(1)));
            }
            return text.contains("(") ? 0 : 1;
        }

    }

    /** The daemon threads checks run on; created when the first check is needed. */
    private static final class Helpers {

        static final ExecutorService EXECUTOR = Executors.newCachedThreadPool((task) -> {
            Thread thread = new Thread(task, "nexs-postgres-commit-check");
            thread.setDaemon(true);
            return thread;
        });

    }

    /**
     * What became of a transaction.
     *
     * @param status committed, aborted or unknown
     * @param reason for an unknown outcome, why
     */
    public record Outcome(Status status, @Nullable String reason) {

        private static final Outcome COMMITTED = new Outcome(Status.COMMITTED, null);

        private static final Outcome ABORTED = new Outcome(Status.ABORTED, null);

        static Outcome committed() {
            return COMMITTED;
        }

        static Outcome aborted() {
            return ABORTED;
        }

        static Outcome unknown(String reason) {
            return new Outcome(Status.UNKNOWN, reason);
        }

    }

    /** The possible outcomes. */
    public enum Status {

        /** The transaction committed: do not run it again. */
        COMMITTED,

        /** The transaction did not commit: it may run again. */
        ABORTED,

        /** Nobody can tell. */
        UNKNOWN

    }

}
