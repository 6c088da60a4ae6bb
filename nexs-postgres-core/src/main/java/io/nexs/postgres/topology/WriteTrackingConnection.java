package io.nexs.postgres.topology;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;

import io.nexs.postgres.consistency.ConsistencyScope;
import org.jspecify.annotations.Nullable;
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
 * <p>The position is taken once per stretch of work: when auto-commit is switched back on after a transaction
 * committed, or when the connection is closed after work committed. A connection marked read-only,
 * or never used, costs nothing; one that only read in auto-commit or in a read-write transaction costs the round
 * trip too, since a statement's text does not prove it did not write.
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

    private boolean autoCommit;

    private boolean readOnly;

    /** Work ran whose commit has happened (or happens at close, in auto-commit) and whose position is not taken. */
    private boolean written;

    /** Work ran in the current transaction, which has not ended. */
    private boolean inTransaction;

    private boolean closed;

    private WriteTrackingConnection(Connection target, Duration timeout) throws SQLException {
        this.target = target;
        this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        this.autoCommit = target.getAutoCommit();
        this.readOnly = target.isReadOnly();
    }

    /**
     * Wraps a connection to the primary borrowed for a thread that reads its writes.
     * @param target the pooled connection
     * @param timeout how long the position query may take
     * @return the connection to hand out
     * @throws SQLException when the connection cannot tell its auto-commit and read-only flags
     */
    static Connection wrap(Connection target, Duration timeout) throws SQLException {
        return (Connection) Proxy.newProxyInstance(WriteTrackingConnection.class.getClassLoader(),
                new Class<?>[] { Connection.class }, new WriteTrackingConnection(target, timeout));
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
        try {
            Object result = call(method, args);
            this.written |= this.inTransaction;
            this.inTransaction = false;
            return result;
        }
        catch (SQLException ex) {
            if (this.inTransaction) {
                // the commit may have happened: its outcome is settled by whoever called commit
                ConsistencyScope.recordUnknownWrite();
                this.inTransaction = false;
            }
            throw ex;
        }
    }

    private @Nullable Object setAutoCommit(Method method, boolean on) throws Throwable {
        if (on && !this.autoCommit) {
            // switching auto-commit on commits the open transaction
            Object result;
            try {
                result = call(method, new Object[] { true });
            }
            catch (SQLException ex) {
                if (this.inTransaction) {
                    // the implicit commit may have happened
                    ConsistencyScope.recordUnknownWrite();
                    this.inTransaction = false;
                }
                throw ex;
            }
            this.autoCommit = true;
            this.written |= this.inTransaction;
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
                ConsistencyScope.recordWrite(rs.getLong(1));
            }
            finally {
                this.target.setNetworkTimeout(SAME_THREAD, previousTimeout);
            }
        }
        catch (SQLException | RuntimeException ex) {
            // the work committed, or its failure was reported already: only its position is missing
            logger.debug("Could not read the primary's WAL position after a write", ex);
            ConsistencyScope.recordUnknownWrite();
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
