package io.nexs.postgres.pool;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.SQLExceptionOverride;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.pool.HikariPool;
import io.nexs.postgres.error.SqlStates;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HikariCP pool of one PostgreSQL node, with the start-up warm-up that checks the server, the graceful drain
 * that closes it and the abort that cuts every connection of a node that stopped answering.
 *
 * <p>HikariCP opens its connections through this class, which keeps track of them: when the topology monitor
 * gives up on a node, {@link #abortConnections()} closes their sockets, so a borrower blocked on a read from a
 * hung server gets an error at once instead of waiting for the operating system's TCP timeout.
 *
 * <p>The pool is also where a node hears that its server went away, whatever the path: a failure the application
 * meets on one of its connections (HikariCP asks the pool's {@link SQLExceptionOverride} about every such
 * failure) or while HikariCP opens one, and those that other paths {@link #reportFailure(SQLException) report},
 * go to one {@link ConnectionLossListener}.
 */
public final class NodePool implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(NodePool.class);

    /** One round trip that proves the server answers as PostgreSQL does. */
    static final String CHECK_SQL = "select current_setting('server_version')";

    private static final long DRAIN_POLL_MILLIS = 20;

    /** PgJDBC applies a network timeout to the socket itself; no thread of the executor is ever used. */
    private static final Executor SAME_THREAD = Runnable::run;

    private final String name;

    private final ConnectionSettings connection;

    private final PoolSettings settings;

    private final HikariDataSource dataSource;

    /** PgJDBC's property, and URL parameter, that passes command-line options to the server at login. */
    static final String OPTIONS = "options";

    /** The URL in force: the configured one, without its {@code options} when they were merged elsewhere. */
    private final String jdbcUrl;

    /**
     * The driver properties in force: the configured ones plus those a customizer added to the pool, with the
     * session settings in {@code options}.
     */
    private final Properties driverProperties;

    /** The same without the session settings: for health checks, which a short statement timeout must not fail. */
    private final Properties checkProperties;

    private volatile @Nullable PoolListener listener;

    private volatile @Nullable ConnectionLossListener lossListener;

    /** Every connection HikariCP opened through {@link PhysicalConnections} and has not closed yet. */
    private final Set<Connection> physical = ConcurrentHashMap.newKeySet();

    /**
     * Creates the pool. HikariCP starts at once but does not fail when the server is down: {@link #warmUp()}
     * reports an unreachable server, and the caller decides what that means.
     * @param connection how to reach the node
     * @param settings pool sizing and timeouts
     * @param customizers callbacks applied to the HikariCP configuration last
     */
    public NodePool(ConnectionSettings connection, PoolSettings settings, List<NodePoolCustomizer> customizers) {
        this(connection.address().toString(), connection, settings, customizers);
    }

    /**
     * Creates the pool of a node with a name of its own.
     * @param name the node's name, used in logs, health details, metric tags and the pool's name
     * @param connection how to reach the node
     * @param settings pool sizing and timeouts
     * @param customizers callbacks applied to the HikariCP configuration last
     */
    public NodePool(String name, ConnectionSettings connection, PoolSettings settings,
            List<NodePoolCustomizer> customizers) {
        this.connection = connection;
        this.settings = settings;
        this.name = name;
        HikariConfig config = hikariConfig(this.name, connection, settings);
        customizers.forEach((customizer) -> customizer.customize(this.name, config));
        // after the customizers, so that an override one of them set still has its say
        config.setExceptionOverride(new LossSignal(config.getExceptionOverride()));
        Properties customized = config.getDataSourceProperties();
        String urlOptions = urlOptions(connection.jdbcUrl());
        this.driverProperties = driverProperties(connection, customized, urlOptions, true);
        this.checkProperties = driverProperties(connection, customized, urlOptions, false);
        // PgJDBC lets a URL parameter replace the property of the same name: the URL's options are merged above.
        this.jdbcUrl = (urlOptions != null) ? withoutParameter(connection.jdbcUrl(), OPTIONS) : connection.jdbcUrl();
        config.setDataSource(new PhysicalConnections());
        trackBorrows(config);
        this.dataSource = new HikariDataSource(config);
    }

    /**
     * Has HikariCP report borrows and returns to the {@link PoolListener}, alongside any metrics tracker a
     * customizer installed. A customizer that gave HikariCP a metric registry instead keeps it, and the pool
     * reports nothing.
     */
    private void trackBorrows(HikariConfig config) {
        if (config.getMetricRegistry() != null) {
            logger.debug("Pool {} reports to a metric registry; pool listeners are not told of borrows", this.name);
            return;
        }
        MetricsTrackerFactory configured = config.getMetricsTrackerFactory();
        config.setMetricsTrackerFactory((poolName, stats) -> {
            IMetricsTracker delegate = (configured != null) ? configured.create(poolName, stats) : null;
            return new BorrowTracker(delegate);
        });
    }

    /**
     * Sets who is told of borrows and returns; {@code null} for nobody.
     * @param listener the listener
     */
    public void setListener(@Nullable PoolListener listener) {
        this.listener = listener;
    }

    /**
     * Sets who is told when the pool loses a connection or cannot open one; {@code null} for nobody.
     * @param listener the listener
     */
    public void setConnectionLossListener(@Nullable ConnectionLossListener listener) {
        this.lossListener = listener;
    }

    /**
     * Reports a failure met on a connection of this pool that did not pass through HikariCP's proxies, such as
     * the driver's own connection under a {@code COPY} or a connection from {@link #openConnection()}: when its
     * SQLSTATE says the connection was lost, the {@link ConnectionLossListener} hears of it as it does of failures
     * on pooled connections. Any other failure is ignored.
     * @param failure the failure
     * @return whether it was a lost connection
     */
    public boolean reportFailure(SQLException failure) {
        if (!SqlStates.isConnectionLoss(SqlStates.of(failure))) {
            return false;
        }
        connectionLost();
        return true;
    }

    private void connectionLost() {
        ConnectionLossListener listener = this.lossListener;
        if (listener == null) {
            return;
        }
        try {
            listener.connectionLost(this);
        }
        catch (RuntimeException ex) {
            // the failure being reported matters more to its thread than this one
            logger.debug("The connection-loss listener of {} failed", this.name, ex);
        }
    }

    /**
     * Whether a connection, or the driver connection behind it, was opened by this pool.
     * @param connection a pooled connection, possibly wrapped by Spring's proxies
     * @return whether it belongs to this node
     */
    public boolean owns(Connection connection) {
        try {
            return this.physical.contains(connection.unwrap(org.postgresql.PGConnection.class));
        }
        catch (SQLException | RuntimeException ex) {
            return false;
        }
    }

    private static Properties driverProperties(ConnectionSettings connection, Properties customized,
            @Nullable String urlOptions, boolean sessionSettings) {
        Properties properties = new Properties();
        properties.putAll(connection.driverProperties());
        properties.putAll(customized);
        if (connection.username() != null) {
            properties.setProperty("user", connection.username());
        }
        if (connection.password() != null) {
            properties.setProperty("password", connection.password());
        }
        // The session settings come first: the application's own options, from the driver properties, the URL or
        // a customizer, follow them, and the server takes the last value of a setting given twice.
        StringJoiner options = new StringJoiner(" ");
        if (sessionSettings) {
            connection.sessionSettings().forEach((name, value) -> options.add("-c " + name + "=" + escape(value)));
        }
        addOptions(options, connection.driverProperties().get(OPTIONS));
        addOptions(options, urlOptions);
        addOptions(options, customized.getProperty(OPTIONS));
        if (options.length() > 0) {
            properties.setProperty(OPTIONS, options.toString());
        }
        else {
            properties.remove(OPTIONS);
        }
        return properties;
    }

    private static void addOptions(StringJoiner options, @Nullable String more) {
        if (more != null && !more.isBlank()) {
            options.add(more.strip());
        }
    }

    /** The server splits options at white space unless a backslash escapes it. */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replaceAll("\\s", "\\\\$0");
    }

    /** The {@code options} parameter of a URL, decoded as PgJDBC decodes it, or {@code null}. */
    private static @Nullable String urlOptions(String jdbcUrl) {
        if (jdbcUrl.indexOf('?') < 0) {
            return null;
        }
        Properties parsed = Driver.parseURL(jdbcUrl, null);
        return (parsed != null) ? parsed.getProperty(OPTIONS) : null;
    }

    static String withoutParameter(String jdbcUrl, String name) {
        int query = jdbcUrl.indexOf('?');
        if (query < 0) {
            return jdbcUrl;
        }
        StringJoiner kept = new StringJoiner("&");
        for (String parameter : jdbcUrl.substring(query + 1).split("&")) {
            int equals = parameter.indexOf('=');
            if (!name.equals((equals < 0) ? parameter : parameter.substring(0, equals))) {
                kept.add(parameter);
            }
        }
        return jdbcUrl.substring(0, query) + ((kept.length() > 0) ? "?" + kept : "");
    }

    private static HikariConfig hikariConfig(String name, ConnectionSettings connection, PoolSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("nexs-postgres-" + name);
        // HikariCP opens connections through PhysicalConnections (set after the customizers ran), which applies
        // the URL, the credentials and the driver properties.
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
     * The node's name, {@code host:port} unless configured otherwise: used in logs, health details and metric
     * tags.
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
     * Checks the server on a connection of its own, then opens {@code minIdle} pooled connections so the first
     * requests do not pay for them. The direct connection makes an unreachable server fail within the connect
     * timeout rather than the (longer) pool connection timeout, with the driver's own cause. The pool does not ask
     * the server's role: that is the topology's business.
     * @return the server's version, for example {@code 18.1}
     * @throws SQLException when the server cannot be reached or checked; its message names the node's address and
     * its cause is the driver's failure
     */
    public String warmUp() throws SQLException {
        String version;
        try (Connection direct = openConnection()) {
            version = serverVersion(direct);
        }
        catch (SQLException ex) {
            throw new SQLException("Could not reach PostgreSQL at " + address() + " during warm-up: "
                    + ex.getMessage(), ex.getSQLState(), ex);
        }
        List<Connection> borrowed = new ArrayList<>(this.settings.minIdle());
        try {
            for (int i = 0; i < this.settings.minIdle(); i++) {
                borrowed.add(this.dataSource.getConnection());
            }
        }
        catch (SQLException ex) {
            throw new SQLException("Could not open " + this.settings.minIdle() + " connections to PostgreSQL at "
                    + address() + " during warm-up: " + ex.getMessage(), ex.getSQLState(), ex);
        }
        finally {
            borrowed.forEach(NodePool::closeQuietly);
        }
        logger.info("PostgreSQL {} at {}: {} connections open", version, address(), borrowed.size());
        return version;
    }

    /**
     * A new connection to this node outside the pool, with the pool's URL, credentials and driver properties; the
     * caller closes it. For sessions that must not go back to a pool, such as LISTEN. Like the pool's own, the
     * connection is aborted by {@link #abortConnections()} when the node fails or writes leave it.
     * @return the new connection
     * @throws SQLException when the server cannot be reached or refuses the login
     */
    public Connection openConnection() throws SQLException {
        Connection opened = connect(this.driverProperties);
        // Closed connections stay known for a while, so a borrower whose connection was aborted can still be told
        // which node it was on; they are forgotten once twice the pool's size has piled up.
        if (this.physical.size() >= 2 * this.settings.maxSize()) {
            this.physical.removeIf(NodePool::isClosedQuietly);
        }
        this.physical.add(opened);
        return opened;
    }

    /**
     * A new connection outside the pool whose opening, login included, gives up after {@code timeout}, and whose
     * reads give up after about as long (whole seconds, at least one): for health checks, which must not hang on
     * a server that accepts TCP connections but no longer answers. The connection goes without the session settings
     * of {@link ConnectionSettings#sessionSettings()}: a statement timeout shorter than a check must not make a
     * healthy node look down.
     * @param timeout the most the connect and the login may take
     * @return the new connection
     * @throws SQLException when the server cannot be reached in time or refuses the login
     */
    public Connection openConnection(Duration timeout) throws SQLException {
        Properties properties = new Properties();
        properties.putAll(this.checkProperties);
        String seconds = String.valueOf(Math.max(1, (timeout.toMillis() + 999) / 1000));
        // PgJDBC reads loginTimeout as fractional seconds; the others are whole seconds.
        properties.setProperty("loginTimeout", String.valueOf(timeout.toMillis() / 1000.0));
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("socketTimeout", seconds);
        return connect(properties);
    }

    private Connection connect(Properties properties) throws SQLException {
        Connection direct = new Driver().connect(this.jdbcUrl, properties);
        if (direct == null) {
            throw new SQLException("PgJDBC does not accept the URL of node " + this.name);
        }
        return direct;
    }

    /**
     * Closes the socket of every connection this pool has open, borrowed or idle, without waiting for anything:
     * borrowers get an I/O error on their next or current read, and HikariCP replaces the connections as they
     * come back. For a node that stopped answering.
     * @return how many connections were aborted
     */
    public int abortConnections() {
        HikariPoolMXBean pool = this.dataSource.getHikariPoolMXBean();
        if (pool != null) {
            pool.softEvictConnections();
        }
        int aborted = 0;
        for (Connection connection : this.physical) {
            try {
                connection.abort(SAME_THREAD);
                aborted++;
            }
            catch (SQLException | RuntimeException ex) {
                logger.debug("Could not abort a connection to {}", this.name, ex);
            }
        }
        if (aborted > 0) {
            logger.warn("Aborted {} connection(s) to {}", aborted, this.name);
        }
        return aborted;
    }

    /**
     * Whether a statement runs on a connection of this node. It looks at the driver's own statement, which still
     * knows its connection after HikariCP has given up a broken one, so it works on the error path too, and it
     * costs nothing while borrowing.
     * @param statement a statement created on a pooled connection (possibly through Spring's proxies)
     * @return whether its physical connection was opened by this pool
     */
    public boolean owns(Statement statement) {
        try {
            Statement driverStatement = (Statement) statement.unwrap(org.postgresql.PGStatement.class);
            return this.physical.contains(driverStatement.getConnection());
        }
        catch (SQLException | RuntimeException ex) {
            return false;
        }
    }

    /**
     * Borrows a connection, waiting at most {@code timeoutMillis} rather than the pool's connection timeout.
     * @param timeoutMillis the most to wait
     * @return the connection, to be closed by the caller
     * @throws SQLException when none is free in time, or the pool is closed
     */
    public Connection borrow(long timeoutMillis) throws SQLException {
        return (this.dataSource.getHikariPoolMXBean() instanceof HikariPool pool) ? pool.getConnection(timeoutMillis)
                : this.dataSource.getConnection();
    }

    private String serverVersion(Connection connection) throws SQLException {
        // No query timeout: PgJDBC enforces it by sending a cancel request on a new connection, and waits for
        // that request even when the server is hung. The network timeout bounds the read on the socket itself.
        connection.setNetworkTimeout(SAME_THREAD, (int) this.settings.validationTimeout().toMillis());
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(CHECK_SQL)) {
            result.next();
            return result.getString(1);
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

    /**
     * Hears of every failure the application meets on the pool's connections, statements and result sets, on the
     * borrower's thread, before HikariCP decides whether to evict the connection; the decision is left as it was:
     * HikariCP's own, or that of the override a customizer set.
     */
    private final class LossSignal implements SQLExceptionOverride {

        private final @Nullable SQLExceptionOverride configured;

        LossSignal(@Nullable SQLExceptionOverride configured) {
            this.configured = configured;
        }

        // the interface's nested Override enum hides java.lang.Override here
        @java.lang.Override
        public Override adjudicate(SQLException failure) {
            if (SqlStates.isConnectionLoss(failure.getSQLState())) {
                connectionLost();
            }
            return (this.configured != null) ? this.configured.adjudicate(failure) : Override.CONTINUE_EVICT;
        }

    }

    /** Reports borrows to the listener, and everything to the tracker a customizer installed, if any. */
    private final class BorrowTracker implements IMetricsTracker {

        private final @Nullable IMetricsTracker delegate;

        BorrowTracker(@Nullable IMetricsTracker delegate) {
            this.delegate = delegate;
        }

        @Override
        public void recordConnectionCreatedMillis(long millis) {
            if (this.delegate != null) {
                this.delegate.recordConnectionCreatedMillis(millis);
            }
        }

        @Override
        public void recordConnectionAcquiredNanos(long nanos) {
            if (this.delegate != null) {
                this.delegate.recordConnectionAcquiredNanos(nanos);
            }
            PoolListener listener = NodePool.this.listener;
            if (listener != null) {
                listener.acquired(NodePool.this, nanos);
            }
        }

        @Override
        public void recordConnectionUsageMillis(long millis) {
            if (this.delegate != null) {
                this.delegate.recordConnectionUsageMillis(millis);
            }
            PoolListener listener = NodePool.this.listener;
            if (listener != null) {
                listener.released(NodePool.this, millis);
            }
        }

        @Override
        public void recordConnectionTimeout() {
            if (this.delegate != null) {
                this.delegate.recordConnectionTimeout();
            }
        }

        @Override
        public void close() {
            if (this.delegate != null) {
                this.delegate.close();
            }
        }

    }

    /**
     * How HikariCP opens the node's connections: through the driver, with the settings' URL, credentials and
     * driver properties, keeping each new connection in {@link #physical}.
     */
    private final class PhysicalConnections implements DataSource {

        @Override
        public Connection getConnection() throws SQLException {
            try {
                return openConnection();
            }
            catch (SQLException ex) {
                // a server that refuses or drops new sessions is gone as surely as one that cut a borrowed one
                reportFailure(ex);
                throw ex;
            }
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("The pool of " + NodePool.this.name
                    + " takes its credentials from its settings");
        }

        @Override
        public @Nullable PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(@Nullable PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
            // the driver properties carry the login timeout
        }

        @Override
        public int getLoginTimeout() {
            // HikariCP waits this long for its connection-adding thread when the pool closes
            String timeout = NodePool.this.driverProperties.getProperty("loginTimeout", "5");
            try {
                return Math.max(1, (int) Math.ceil(Double.parseDouble(timeout)));
            }
            catch (NumberFormatException ex) {
                return 5;
            }
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("Not a wrapper of " + type.getName());
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }

    }

    private static boolean isClosedQuietly(Connection connection) {
        try {
            return connection.isClosed();
        }
        catch (SQLException ex) {
            return true;
        }
    }

    @Override
    public String toString() {
        return "NodePool[" + this.name + "]";
    }

}
