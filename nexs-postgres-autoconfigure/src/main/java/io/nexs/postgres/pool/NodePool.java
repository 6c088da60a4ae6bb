package io.nexs.postgres.pool;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executor;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.nexs.postgres.topology.NodeAddress;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeStatus;
import io.nexs.postgres.topology.NodeUnavailableException;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HikariCP pool of one PostgreSQL node, with the start-up warm-up that checks the server and the graceful
 * drain that closes it.
 */
public final class NodePool implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(NodePool.class);

    /** One round trip that tells the version and the role. */
    static final String CHECK_SQL = "select current_setting('server_version'), pg_is_in_recovery()";

    private static final long DRAIN_POLL_MILLIS = 20;

    /** PgJDBC applies a network timeout to the socket itself; no thread of the executor is ever used. */
    private static final Executor SAME_THREAD = Runnable::run;

    private final String name;

    private final ConnectionSettings connection;

    private final PoolSettings settings;

    private final HikariDataSource dataSource;

    private volatile NodeRole role = NodeRole.UNKNOWN;

    private volatile @Nullable String serverVersion;

    /**
     * Creates the pool. HikariCP starts at once but does not fail when the server is down: {@link #warmUp()}
     * decides what an unreachable server means.
     * @param connection how to reach the node
     * @param settings pool sizing and timeouts
     * @param customizers callbacks applied to the HikariCP configuration last
     */
    public NodePool(ConnectionSettings connection, PoolSettings settings, List<NodePoolCustomizer> customizers) {
        this.connection = connection;
        this.settings = settings;
        this.name = connection.address().toString();
        HikariConfig config = hikariConfig(this.name, connection, settings);
        customizers.forEach((customizer) -> customizer.customize(this.name, config));
        this.dataSource = new HikariDataSource(config);
    }

    private static HikariConfig hikariConfig(String name, ConnectionSettings connection, PoolSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("nexs-postgres-" + name);
        config.setDriverClassName(Driver.class.getName());
        config.setJdbcUrl(connection.jdbcUrl());
        config.setUsername(connection.username());
        config.setPassword(connection.password());
        connection.driverProperties().forEach(config::addDataSourceProperty);
        config.setMinimumIdle(settings.minIdle());
        config.setMaximumPoolSize(settings.maxSize());
        config.setConnectionTimeout(settings.connectionTimeout().toMillis());
        config.setIdleTimeout(settings.idleTimeout().toMillis());
        config.setMaxLifetime(settings.maxLifetime().toMillis());
        config.setKeepaliveTime(settings.keepaliveTime().toMillis());
        config.setValidationTimeout(settings.validationTimeout().toMillis());
        config.setLeakDetectionThreshold(settings.leakDetectionThreshold().toMillis());
        // Never fail in the constructor: warmUp() reports an unreachable server with the node's address.
        config.setInitializationFailTimeout(-1);
        return config;
    }

    /**
     * The node's name, {@code host:port}: used in logs, health details and metric tags.
     * @return the name
     */
    public String name() {
        return this.name;
    }

    /**
     * The node's address.
     * @return the address
     */
    public NodeAddress address() {
        return this.connection.address();
    }

    /**
     * The node's pooled {@link DataSource}. The pool belongs to this object: close the {@code NodePool}, not the
     * data source.
     * @return the pool as a data source
     */
    public DataSource dataSource() {
        return this.dataSource;
    }

    /**
     * The pool settings in force.
     * @return the settings
     */
    public PoolSettings settings() {
        return this.settings;
    }

    /**
     * The role the server reported at the last warm-up or check.
     * @return the role, {@link NodeRole#UNKNOWN} before the first successful round trip
     */
    public NodeRole role() {
        return this.role;
    }

    /**
     * The server version reported at the last warm-up or check.
     * @return the version, or {@code null} before the first successful round trip
     */
    public @Nullable String serverVersion() {
        return this.serverVersion;
    }

    /**
     * Runs the start-up policy of the settings: warm up when {@link PoolSettings#warmUp()} is set and, when the
     * server cannot be reached, fail if {@link PoolSettings#failFast()} is set or log and carry on degraded
     * (HikariCP keeps trying to connect in the background). A failed start closes the pool.
     * @throws NodeUnavailableException when warm-up fails and fail-fast is set
     */
    public void start() {
        if (!this.settings.warmUp()) {
            return;
        }
        boolean started = false;
        try {
            warmUp();
            started = true;
        }
        catch (NodeUnavailableException ex) {
            if (this.settings.failFast()) {
                throw ex;
            }
            logger.warn("Starting without PostgreSQL at {}; the pool keeps trying to connect: {}", this.name,
                    ex.getMessage());
            started = true;
        }
        finally {
            if (!started) {
                close();
            }
        }
    }

    /**
     * Checks the server on a connection of its own, then opens {@code minIdle} pooled connections so the first
     * requests do not pay for them. The direct connection makes an unreachable server fail within the connect
     * timeout rather than the (longer) pool connection timeout, with the driver's own cause.
     * @return what the server reported
     * @throws NodeUnavailableException when the server cannot be reached or checked
     */
    public NodeStatus warmUp() {
        long start = System.nanoTime();
        NodeStatus status;
        try (Connection direct = openConnection()) {
            status = check(direct, start);
        }
        catch (SQLException ex) {
            throw new NodeUnavailableException(address(),
                    "Could not reach PostgreSQL at " + address() + " during warm-up: " + ex.getMessage(), ex);
        }
        List<Connection> borrowed = new ArrayList<>(this.settings.minIdle());
        try {
            for (int i = 0; i < this.settings.minIdle(); i++) {
                borrowed.add(this.dataSource.getConnection());
            }
        }
        catch (SQLException ex) {
            throw new NodeUnavailableException(address(), "Could not open " + this.settings.minIdle()
                    + " connections to PostgreSQL at " + address() + " during warm-up: " + ex.getMessage(), ex);
        }
        finally {
            borrowed.forEach(NodePool::closeQuietly);
        }
        logger.info("PostgreSQL {} at {} is {}; {} connections open", status.serverVersion(), address(),
                status.role().label(), borrowed.size());
        if (status.role() == NodeRole.REPLICA) {
            logger.warn("PostgreSQL at {} is a replica (in recovery): reads work, writes will fail", address());
        }
        return status;
    }

    /**
     * A new connection to this node outside the pool, with the pool's URL, credentials and driver properties; the
     * caller closes it. For sessions that must not go back to a pool, such as LISTEN.
     * @return the new connection
     * @throws SQLException when the server cannot be reached or refuses the login
     */
    public Connection openConnection() throws SQLException {
        Properties properties = new Properties();
        properties.putAll(this.connection.driverProperties());
        if (this.connection.username() != null) {
            properties.setProperty("user", this.connection.username());
        }
        if (this.connection.password() != null) {
            properties.setProperty("password", this.connection.password());
        }
        Connection direct = new Driver().connect(this.connection.jdbcUrl(), properties);
        if (direct == null) {
            throw new SQLException("PgJDBC does not accept the URL of node " + this.name);
        }
        return direct;
    }

    /**
     * One round trip through the pool that refreshes the node's role and version. Borrowing and the query each
     * take at most the validation timeout, so a busy pool or a server that stopped answering makes the check
     * fail instead of blocking its caller (a health probe, typically).
     * @return what the server reported and how long it took
     * @throws SQLException when no connection can be borrowed in time or the query fails
     */
    public NodeStatus check() throws SQLException {
        long start = System.nanoTime();
        try (Connection pooled = borrow(this.settings.validationTimeout().toMillis())) {
            return check(pooled, start);
        }
    }

    private Connection borrow(long timeoutMillis) throws SQLException {
        if (this.dataSource.getHikariPoolMXBean() instanceof HikariPool pool) {
            return pool.getConnection(timeoutMillis);
        }
        return this.dataSource.getConnection();
    }

    private NodeStatus check(Connection connection, long start) throws SQLException {
        // No query timeout: PgJDBC enforces it by sending a cancel request on a new connection, and waits for
        // that request even when the server is hung. The network timeout bounds the read on the socket itself.
        connection.setNetworkTimeout(SAME_THREAD, (int) this.settings.validationTimeout().toMillis());
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(CHECK_SQL)) {
            result.next();
            String version = result.getString(1);
            NodeRole reported = NodeRole.fromRecovery(result.getBoolean(2));
            this.serverVersion = version;
            this.role = reported;
            return new NodeStatus(reported, version, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /**
     * The pool's connection counts right now.
     * @return the counts; all zero but {@code max} once the pool is closed
     */
    public PoolStats stats() {
        HikariPoolMXBean pool = this.dataSource.getHikariPoolMXBean();
        int max = this.dataSource.getMaximumPoolSize();
        if (pool == null || this.dataSource.isClosed()) {
            return new PoolStats(0, 0, 0, max);
        }
        return new PoolStats(pool.getActiveConnections(), pool.getIdleConnections(),
                pool.getThreadsAwaitingConnection(), max);
    }

    /**
     * Waits up to the shutdown timeout for borrowed connections to come back, then closes the pool. Connections
     * still borrowed at the deadline are logged and then aborted by HikariCP.
     */
    @Override
    public void close() {
        if (this.dataSource.isClosed()) {
            return;
        }
        long deadline = System.nanoTime() + this.settings.shutdownTimeout().toNanos();
        int active = stats().active();
        try {
            while (active > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(DRAIN_POLL_MILLIS);
                active = stats().active();
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (active > 0) {
            logger.warn("Closing the pool of {} with {} connection(s) still borrowed after waiting {}: they are "
                    + "aborted. A leak-detection threshold makes the pool log the stack trace of each borrower.",
                    this.name, active, this.settings.shutdownTimeout());
        }
        this.dataSource.close();
        logger.debug("Closed the pool of {}", this.name);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        }
        catch (SQLException ex) {
            logger.debug("Could not return a warm-up connection", ex);
        }
    }

    @Override
    public String toString() {
        return "NodePool[" + this.name + ", " + this.role.label() + "]";
    }

}
