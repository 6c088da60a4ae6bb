package io.nexs.postgres.topology;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.error.SqlStates;
import org.jspecify.annotations.Nullable;
import org.postgresql.core.TransactionState;
import org.postgresql.jdbc.AutoSave;
import org.postgresql.jdbc.PgConnection;
import org.postgresql.util.PSQLState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to the primary that, once work it did has committed, asks the primary for its WAL position and
 * advances the thread's {@link ConsistencyScope}, so that later reads of the scope wait for a replica that has it.
 *
 * <p>PostgreSQL does not tell a client where its commit ended, so the position is taken after the commit, in one
 * round trip on the same connection. Under {@code synchronous_commit} {@code on} (or {@code local},
 * {@code remote_write}, {@code remote_apply}) the commit returned once its record was flushed, so the flush
 * position ({@code pg_current_wal_flush_lsn()}) is past it, and replicas can reach it: it is what the primary
 * streams. Under {@code off} the record may not be flushed yet and the insert position
 * ({@code pg_current_wal_insert_lsn()}) is taken; replicas reach it once the WAL writer flushes. The insert
 * position is not used always because it may hold WAL that nothing flushes for a while (the hint-bit page images
 * that reads log when data checksums are on), which a replica cannot replay before then. A transaction that sets
 * {@code synchronous_commit = off} for itself alone ({@code SET LOCAL}) is seen through the session's setting, and
 * may be read stale until its record is flushed.
 *
 * <p>A transaction's {@code commit()} sends the {@code COMMIT} and the position query together, as one statement
 * of two, so the position costs no round trip of its own: the server runs the query right after the commit, or
 * skips it when the commit fails. The commit's failure is thrown as {@code commit()} throws it (the same
 * {@link SQLException}, SQLSTATE and message), its warnings (a cancelled wait for synchronous standbys) are the
 * connection's, as {@code commit()} leaves them, and the pool's and driver's view of the transaction is the same.
 * A failed transaction, whose {@code COMMIT} rolls back, commits the usual way and records nothing; so does one on
 * a connection that sets savepoints around each statement ({@code autosave}), where the driver would release a
 * savepoint the commit has ended; the position of such a transaction is taken as below. So do transactions until
 * the position query has once run on its own: a server where it cannot run (its functions' privileges revoked)
 * would fail every combined statement after its commit.
 *
 * <p>Other work (auto-commit statements, a transaction committed by switching auto-commit on) pays one round trip
 * for the position, once per stretch of work: when auto-commit is switched back on after a transaction committed,
 * or when the connection is closed after work committed. It is not left to the scope's next read, because a web
 * request's response must carry the token before the body is written. A connection marked read-only, or never
 * used, costs nothing; one that only read in auto-commit costs the round trip too, since a statement's text does
 * not prove it did not write.
 *
 * <p>When the position cannot be taken (the connection was lost after the commit, or the commit's own answer was
 * lost and its outcome is settled elsewhere), the scope is told that a write of unknown position happened, and its
 * next read asks the primary for its position first.
 */
final class WriteTrackingConnection implements InvocationHandler {

    private static final Logger logger = LoggerFactory.getLogger(WriteTrackingConnection.class);

    /** Past the end of the commit just made (see above); as a number, to skip parsing the text form. */
    static final String POSITION_SQL = "select ((case when current_setting('synchronous_commit') = 'off' "
            + "then pg_current_wal_insert_lsn() else pg_current_wal_flush_lsn() end) - '0/0')::bigint";

    /** The commit and the position after it, in one round trip; planned once per connection by the driver. */
    static final String COMMIT_AND_POSITION_SQL = "commit; " + POSITION_SQL;

    /** Calls that neither run SQL nor end a transaction. */
    private static final Set<String> PASSIVE = Set.of("isClosed", "isValid", "getAutoCommit", "isReadOnly",
            "setReadOnly", "getTransactionIsolation", "setTransactionIsolation", "getWarnings", "clearWarnings",
            "toString", "hashCode", "equals", "getHoldability", "setHoldability", "getSchema", "getCatalog",
            "getClientInfo", "setClientInfo", "getNetworkTimeout", "setNetworkTimeout", "getTypeMap",
            "isWrapperFor", "getMetaData");

    private static final Executor SAME_THREAD = Runnable::run;

    private final Connection target;

    /** How long the position query may take, so a server that hangs after the commit cannot hold the caller. */
    private final int timeoutMillis;

    /** How long the thread's own scope lasts after a write it records. */
    private final Duration window;

    /** The driver's connection, to see its transaction state; {@code null} until looked up, or when none. */
    private @Nullable PgConnection driver;

    private boolean driverLookedUp;

    /** Whether the position query runs on this cluster, which the combined statement needs; shared by its pool. */
    private final AtomicBoolean positionRuns;

    private boolean autoCommit;

    private boolean readOnly;

    /** Work ran whose commit has happened (or happens at close, in auto-commit) and whose position is not taken. */
    private boolean written;

    /** Work ran in the current transaction, which has not ended. */
    private boolean inTransaction;

    private boolean closed;

    private WriteTrackingConnection(Connection target, Duration timeout, Duration window, AtomicBoolean positionRuns)
            throws SQLException {
        this.target = target;
        this.positionRuns = positionRuns;
        this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        this.window = window;
        this.autoCommit = target.getAutoCommit();
        this.readOnly = target.isReadOnly();
    }

    /**
     * Wraps a connection to the primary borrowed for a thread that reads its writes.
     * @param target the pooled connection
     * @param timeout how long the position query may take
     * @param window how long the thread's own scope lasts after a write
     * @param positionRuns whether the position query has run on its own on this cluster, set here when it does
     * @return the connection to hand out
     * @throws SQLException when the connection cannot tell its auto-commit and read-only flags
     */
    static Connection wrap(Connection target, Duration timeout, Duration window, AtomicBoolean positionRuns)
            throws SQLException {
        return (Connection) Proxy.newProxyInstance(WriteTrackingConnection.class.getClassLoader(),
                new Class<?>[] { Connection.class }, new WriteTrackingConnection(target, timeout, window,
                        positionRuns));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object[] args) throws Throwable {
        String name = method.getName();
        switch (name) {
            case "close" -> {
                close();
                return null;
            }
            case "abort" -> {
                this.closed = true;
                this.written = false;
                return call(method, args);
            }
            case "equals" -> {
                return proxy == args[0];
            }
            case "hashCode" -> {
                return System.identityHashCode(proxy);
            }
            case "commit" -> {
                return commit(method, args);
            }
            case "rollback" -> {
                if (args == null || args.length == 0) {
                    this.inTransaction = false;
                }
                return call(method, args);
            }
            case "setAutoCommit" -> {
                return setAutoCommit(method, (Boolean) args[0]);
            }
            case "setReadOnly" -> {
                Object result = call(method, args);
                this.readOnly = (Boolean) args[0];
                return result;
            }
            default -> {
                if (!this.readOnly && !PASSIVE.contains(name)) {
                    if (this.autoCommit) {
                        this.written = true;
                    }
                    else {
                        this.inTransaction = true;
                    }
                }
                return call(method, args);
            }
        }
    }

    private @Nullable Object commit(Method method, @Nullable Object[] args) throws Throwable {
        if (this.inTransaction && !this.autoCommit && this.positionRuns.get()) {
            PgConnection driver = driver();
            if (driver != null && driver.getTransactionState() == TransactionState.OPEN
                    && driver.getAutosave() == AutoSave.NEVER) {
                commitAndRecordPosition(driver);
                return null;
            }
        }
        boolean work = this.inTransaction && transactionOpen();
        try {
            Object result = call(method, args);
            if (work) {
                // the position is taken later (auto-commit switched on, or close); until then a read of the scope,
                // such as one in an after-commit callback, asks the primary for it first
                ConsistencyScope.recordUnknownWrite(this.window);
            }
            this.written |= work;
            this.inTransaction = false;
            return result;
        }
        catch (SQLException ex) {
            if (work) {
                // the commit may have happened: its outcome is settled by whoever called commit
                ConsistencyScope.recordUnknownWrite(this.window);
            }
            this.inTransaction = false;
            throw ex;
        }
    }

    /**
     * Whether the driver has a transaction open that may commit work: not one that ended (a rollback, or nothing
     * ran since) and not one a failed statement aborted, whose commit rolls back. Asked before a commit, so that
     * calls that ran no SQL (an {@code unwrap}) do not count as a write; a driver that cannot tell is trusted.
     */
    private boolean transactionOpen() {
        PgConnection driver = driver();
        return driver == null || driver.getTransactionState() == TransactionState.OPEN;
    }

    /**
     * Commits the open transaction and takes the position after it in the same round trip. Throws what
     * {@code commit()} would: the commit's own exception when it failed, the lost connection's when its answer was
     * lost.
     */
    private void commitAndRecordPosition(PgConnection driver) throws SQLException {
        this.inTransaction = false;
        // prepared, so that the driver's statement cache lets the server skip parsing and planning it after a few
        PreparedStatement statement = this.target.prepareStatement(COMMIT_AND_POSITION_SQL);
        try {
            statement.execute();
        }
        catch (SQLException ex) {
            moveWarnings(statement, driver);
            closeQuietly(statement);
            throw commitFailure(ex);
        }
        // committed: nothing below may fail the commit
        moveWarnings(statement, driver);
        long position = 0;
        try {
            // the first result is the commit's, the second the position
            if (statement.getMoreResults()) {
                try (ResultSet rs = statement.getResultSet()) {
                    position = rs.next() ? rs.getLong(1) : 0;
                }
            }
            // the driver's transaction has ended already, so this sends nothing; the pool learns that it ended
            this.target.commit();
        }
        catch (SQLException | RuntimeException ex) {
            logger.debug("Could not read the primary's WAL position after a commit", ex);
        }
        finally {
            closeQuietly(statement);
        }
        if (position != 0) {
            ConsistencyScope.recordWrite(position, this.window);
        }
        else {
            ConsistencyScope.recordUnknownWrite(this.window);
        }
    }

    private static void closeQuietly(Statement statement) {
        try {
            statement.close();
        }
        catch (SQLException ex) {
            logger.debug("Could not close the statement of a commit", ex);
        }
    }

    /**
     * The exception of a failed commit-and-position statement. The position query, once known to run on this
     * cluster, fails after a commit that succeeded only when the session is interrupted (cancelled, out of
     * resources, internal error, lost) or its functions were taken away since; so an exception with a SQLSTATE
     * that the commit's own checks raise (a deferred constraint, a serialization failure, a deferred trigger's
     * error) is the commit's, and is thrown unchanged. The others do not tell which of the two failed: the outcome
     * of the commit is not known, as when its answer is lost.
     */
    private SQLException commitFailure(SQLException ex) {
        String sqlState = ex.getSQLState();
        if (SqlStates.isConnectionLoss(sqlState)) {
            ConsistencyScope.recordUnknownWrite(this.window);
            return ex;
        }
        boolean queryRefused = "42501".equals(sqlState) || "42883".equals(sqlState) || "55000".equals(sqlState);
        if (queryRefused) {
            // until the query runs on its own again, transactions commit and take the position apart
            this.positionRuns.set(false);
        }
        if (queryRefused || sqlState == null || sqlState.startsWith("57") || sqlState.startsWith("53")
                || sqlState.startsWith("58") || sqlState.startsWith("XX")) {
            ConsistencyScope.recordUnknownWrite(this.window);
            SQLException unknown = new SQLException("The transaction's COMMIT and the WAL position query sent after "
                    + "it failed (SQLSTATE " + sqlState + ") and the failure does not tell which of the two it was: "
                    + "the transaction may or may not have committed", PSQLState.CONNECTION_FAILURE_DURING_TRANSACTION
                        .getState(), ex);
            return unknown;
        }
        return ex;
    }

    /** The driver puts a statement's notices on the statement; {@code commit()} leaves them on the connection. */
    private static void moveWarnings(Statement statement, PgConnection driver) {
        try {
            SQLWarning warnings = statement.getWarnings();
            if (warnings != null) {
                driver.addWarning(warnings);
            }
        }
        catch (SQLException ex) {
            logger.debug("Could not read the warnings of a commit", ex);
        }
    }

    /** The driver's connection under the pool's, or {@code null} when it is not PostgreSQL's driver. */
    private @Nullable PgConnection driver() {
        if (!this.driverLookedUp) {
            this.driverLookedUp = true;
            try {
                if (this.target.isWrapperFor(PgConnection.class)) {
                    this.driver = this.target.unwrap(PgConnection.class);
                }
            }
            catch (SQLException ex) {
                logger.debug("Could not reach the driver's connection", ex);
            }
        }
        return this.driver;
    }

    private @Nullable Object setAutoCommit(Method method, boolean on) throws Throwable {
        if (on && !this.autoCommit) {
            // switching auto-commit on commits the open transaction
            boolean work = this.inTransaction && transactionOpen();
            Object result;
            try {
                result = call(method, new Object[] { true });
            }
            catch (SQLException ex) {
                if (work) {
                    // the implicit commit may have happened
                    ConsistencyScope.recordUnknownWrite(this.window);
                }
                this.inTransaction = false;
                throw ex;
            }
            this.autoCommit = true;
            this.written |= work;
            this.inTransaction = false;
            recordPosition();
            return result;
        }
        // Switching auto-commit off takes no position: a statement prepared in auto-commit may run only in the
        // transaction that begins now (a batch made atomic), and the position is taken once that commits.
        Object result = call(method, new Object[] { on });
        this.autoCommit = on;
        return result;
    }

    private void close() throws SQLException {
        if (this.closed) {
            return;
        }
        this.closed = true;
        try {
            // what committed since the last position; an open transaction's work is rolled back by the pool
            recordPosition();
        }
        finally {
            this.target.close();
        }
    }

    /** Takes the primary's position when work committed since the last time, and advances the scope to it. */
    private void recordPosition() {
        if (!this.written) {
            return;
        }
        this.written = false;
        try {
            int previousTimeout = this.target.getNetworkTimeout();
            this.target.setNetworkTimeout(SAME_THREAD, this.timeoutMillis);
            try (Statement statement = this.target.createStatement();
                    ResultSet rs = statement.executeQuery(POSITION_SQL)) {
                rs.next();
                ConsistencyScope.recordWrite(rs.getLong(1), this.window);
                this.positionRuns.set(true);
            }
            finally {
                this.target.setNetworkTimeout(SAME_THREAD, previousTimeout);
            }
        }
        catch (SQLException | RuntimeException ex) {
            // the work committed, or its failure was reported already: only its position is missing
            logger.debug("Could not read the primary's WAL position after a write", ex);
            ConsistencyScope.recordUnknownWrite(this.window);
        }
    }

    private @Nullable Object call(Method method, @Nullable Object[] args) throws Throwable {
        try {
            return method.invoke(this.target, args);
        }
        catch (InvocationTargetException ex) {
            throw ex.getCause();
        }
    }

}
