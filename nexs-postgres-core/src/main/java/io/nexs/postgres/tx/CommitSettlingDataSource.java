package io.nexs.postgres.tx;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * A data source whose connections settle a commit whose answer was lost, whoever calls {@code commit()}: Spring's
 * {@code JdbcTransactionManager} or {@link PostgresTransactionManager}, Hibernate under {@code JpaTransactionManager},
 * jOOQ's transactions, or plain JDBC. What {@code commit()} does when the connection is lost during
 * {@code COMMIT}:
 * <ul>
 * <li>committed: it returns normally;</li>
 * <li>did not commit: it throws a {@link java.sql.SQLTransientConnectionException}, which Spring translates into
 * its transient {@code TransientDataAccessResourceException}: the work may run again;</li>
 * <li>not known: it throws a {@link java.sql.SQLNonTransientConnectionException} whose cause is a
 * {@link CommitOutcomeUnknownException} (which nexs-postgres's translation and {@link PostgresTransactionManager}
 * surface as it is).</li>
 * </ul>
 * A commit that returned with a warning and may not be on the synchronous standbys is checked as well.
 *
 * <p>Before {@code COMMIT} the transaction is recorded with {@link CommitOutcomeCheck#record}, one round trip on
 * the same connection, when the connection is neither read-only nor in auto-commit and the driver has a transaction
 * open (PgJDBC begins one with the first statement, which may be one prepared in an earlier transaction): a
 * read-only transaction, one that ran nothing, and auto-commit statements cost nothing. A transaction a failed
 * statement aborted commits as the driver commits it: the server rolls it back, and there is nothing to settle. With
 * {@link RetrySettings#verifyCommit()} off nothing is recorded, and a lost commit is unknown.
 * <pre>{@code
 * // an application's own primary DataSource
 * DataSource settled = new CommitSettlingDataSource(primary,
 *         new CommitOutcomeCheck(primary, Duration.ofSeconds(10)), retrier);
 * }</pre>
 *
 * <p>Switching auto-commit on in a transaction that ran work commits it, as JDBC says: through the same settled
 * commit. After a commit that lost its connection, {@code rollback()} and {@code setAutoCommit(true)} on the dead
 * connection do not throw: a transaction manager that rolls back after a failed commit, or restores auto-commit
 * after a settled one, would otherwise replace what the commit reported.
 */
public class CommitSettlingDataSource extends DelegatingDataSource {

    private static final Logger logger = LoggerFactory.getLogger(CommitSettlingDataSource.class);

    /** Calls that run no SQL of the application's. */
    private static final Set<String> NO_WORK = Set.of("isClosed", "isValid", "getAutoCommit", "isReadOnly",
            "setReadOnly", "getTransactionIsolation", "setTransactionIsolation", "getWarnings", "clearWarnings",
            "toString", "hashCode", "equals", "getHoldability", "setHoldability", "getSchema", "getCatalog",
            "getClientInfo", "setClientInfo", "getNetworkTimeout", "setNetworkTimeout", "getTypeMap", "isWrapperFor",
            "getMetaData", "nativeSQL", "createClob", "createBlob", "createNClob", "createSQLXML", "createArrayOf",
            "createStruct", "close", "abort");

    private final CommitSettlement settlement;

    /**
     * Creates the data source.
     * @param target connections to the primary
     * @param check how a lost commit is settled, asking the primary
     * @param retrier whether commits are checked ({@link RetrySettings#verifyCommit()}), and the statistics that
     * count settled and unknown commits
     */
    public CommitSettlingDataSource(DataSource target, CommitOutcomeCheck check, Retrier retrier) {
        super(target);
        this.settlement = new CommitSettlement(check, retrier);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return wrap(obtainTargetDataSource().getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return wrap(obtainTargetDataSource().getConnection(username, password));
    }

    private Connection wrap(Connection target) throws SQLException {
        SettlingConnection handler;
        try {
            handler = new SettlingConnection(target, this.settlement);
        }
        catch (SQLException | RuntimeException ex) {
            target.close();
            throw ex;
        }
        return (Connection) Proxy.newProxyInstance(CommitSettlingDataSource.class.getClassLoader(),
                new Class<?>[] { Connection.class, SettlesCommits.class }, handler);
    }

    /**
     * Whether a connection settles its own commits, so that a transaction manager above it must not record and
     * check the transaction a second time. Asks through wrappers such as Spring's lazy connection proxy.
     * @param connection a connection
     * @return whether it is one of a {@code CommitSettlingDataSource}
     */
    static boolean settles(Connection connection) {
        try {
            return connection.isWrapperFor(SettlesCommits.class);
        }
        catch (SQLException ex) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "CommitSettlingDataSource[" + getTargetDataSource() + "]";
    }

    /** Marks a connection that settles its commits. */
    interface SettlesCommits {

    }

    /** Tracks whether the connection ran work, and commits through the settlement. */
    private static final class SettlingConnection implements InvocationHandler {

        private final Connection target;

        private final CommitSettlement settlement;

        private boolean autoCommit;

        private boolean readOnly;

        /**
         * SQL was run or prepared on this connection: a statement made in an earlier transaction, or under
         * auto-commit, may run in the current one, unseen by this wrapper.
         */
        private boolean used;

        /** The driver's connection, which knows whether a transaction is open; asked for once SQL ran. */
        private @Nullable BaseConnection driver;

        /**
         * The last commit lost its connection or failed: the connection may be dead, and what the commit said is
         * what the caller must see.
         */
        private boolean afterLostCommit;

        SettlingConnection(Connection target, CommitSettlement settlement) throws SQLException {
            this.target = target;
            this.settlement = settlement;
            this.autoCommit = target.getAutoCommit();
            this.readOnly = target.isReadOnly();
        }

        @Override
        public @Nullable Object invoke(Object proxy, Method method, @Nullable Object[] args) throws Throwable {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "isWrapperFor" -> ((Class<?>) args[0]).isInstance(proxy) || (Boolean) call(method, args);
                case "unwrap" -> ((Class<?>) args[0]).isInstance(proxy) ? proxy : unwrap(method, args);
                case "commit" -> commit();
                case "rollback" -> rollback(method, args);
                case "setAutoCommit" -> setAutoCommit(method, (Boolean) args[0]);
                default -> pass(method, args);
            };
        }

        /** The driver's connection may run anything, {@code COPY} included: it counts as work. */
        private @Nullable Object unwrap(Method method, @Nullable Object[] args) throws Throwable {
            this.used = true;
            return call(method, args);
        }

        private @Nullable Object pass(Method method, @Nullable Object[] args) throws Throwable {
            String name = method.getName();
            if (!NO_WORK.contains(name)) {
                this.used = true;
                this.afterLostCommit = false;
            }
            Object result = call(method, args);
            if ("setReadOnly".equals(name)) {
                this.readOnly = (Boolean) args[0];
            }
            return result;
        }

        /**
         * Whether a transaction that may write ran SQL and has not ended. PgJDBC begins a transaction with its
         * first statement, and knows; a driver that cannot tell is taken to have one once SQL ran.
         */
        private boolean writing() throws SQLException {
            if (this.autoCommit || this.readOnly || !this.used) {
                return false;
            }
            if (this.driver == null && this.target.isWrapperFor(BaseConnection.class)) {
                this.driver = this.target.unwrap(BaseConnection.class);
            }
            return this.driver == null || this.driver.getTransactionState() != TransactionState.IDLE;
        }

        private @Nullable Object commit() throws SQLException {
            if (!writing()) {
                // nothing written in a transaction: nothing to settle (the driver refuses a commit in auto-commit)
                this.target.commit();
                return null;
            }
            // until the settlement returns: a commit that throws leaves the caller to see what it threw
            this.afterLostCommit = true;
            this.afterLostCommit = this.settlement.commit(this.target);
            return null;
        }

        private @Nullable Object rollback(Method method, @Nullable Object[] args) throws Throwable {
            if (!this.afterLostCommit) {
                return call(method, args);
            }
            try {
                return call(method, args);
            }
            catch (SQLException ex) {
                // the failed commit ended the transaction; its report must reach the caller, not this one
                logger.debug("Rolling back after a failed COMMIT failed as well: {}", ex.getMessage());
                return null;
            }
        }

        private @Nullable Object setAutoCommit(Method method, boolean on) throws Throwable {
            boolean quiet = on && this.afterLostCommit;
            if (on && !quiet && writing()) {
                // switching auto-commit on commits the open transaction: commit it first, settled; a lost answer
                // settled as committed leaves a dead connection whose switch must not fail the caller
                commit();
                quiet = this.afterLostCommit;
            }
            this.afterLostCommit = false;
            try {
                Object result = call(method, args(on));
                this.autoCommit = on;
                return result;
            }
            catch (SQLException ex) {
                if (!quiet) {
                    throw ex;
                }
                // the connection is dead after a settled commit: the pool drops it
                logger.debug("Could not restore auto-commit after a lost COMMIT: {}", ex.getMessage());
                this.autoCommit = true;
                return null;
            }
        }

        private static Object[] args(boolean on) {
            return new Object[] { on };
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

}
