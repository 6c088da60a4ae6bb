package io.nexs.postgres.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.topology.LoadBalancing;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.TopologySettings;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of nexs-postgres, bound from {@code nexs.postgres.*}.
 */
@ConfigurationProperties("nexs.postgres")
public class NexsPostgresProperties {

    /**
     * Whether to configure nexs-postgres: its pool, DataSource, health and metrics.
     */
    private boolean enabled = true;

    /**
     * PgJDBC URL of the server, for example jdbc:postgresql://db.example.com:5432/orders, or of every node of a
     * cluster, for example jdbc:postgresql://pg-a:5432,pg-b:5432/orders. Use either this, host, or nodes.
     */
    private @Nullable String url;

    /**
     * Host name or address of the server, when neither a URL nor nodes are given.
     */
    private @Nullable String host;

    /**
     * TCP port of the server, with host.
     */
    private int port = 5432;

    /**
     * Database to connect to, with host or nodes.
     */
    private String database = "postgres";

    /**
     * Nodes of the cluster, instead of url or host: host:port strings (db1:5432,db2:5432), or objects with an
     * address and optionally a name, weight, tags and pool overrides. Database, credentials, timeouts and TLS
     * settings apply to every node.
     */
    private List<Node> nodes = new ArrayList<>();

    /**
     * Login user of the database.
     */
    private @Nullable String username;

    /**
     * Login password of the database.
     */
    private @Nullable String password;

    /**
     * Name reported to the server as application_name, shown in pg_stat_activity. Defaults to
     * spring.application.name, else "nexs-postgres".
     */
    private @Nullable String applicationName;

    /**
     * How long opening a connection may take: the TCP connection, TLS and the login.
     */
    private Duration connectTimeout = Duration.ofSeconds(10);

    /**
     * How long a read from the server may block before the connection is dropped. Zero waits forever; set it
     * above the slowest expected statement.
     */
    private Duration socketTimeout = Duration.ZERO;

    /**
     * Longest a statement may run before the server cancels it (statement_timeout; the caller gets
     * QueryTimeoutException, SQLSTATE 57014). Applies to every pooled connection, COPY included. Unset keeps the
     * server's setting; 0 turns the limit off.
     */
    private @Nullable Duration statementTimeout;

    /**
     * Longest a statement waits for a lock before it fails (lock_timeout; the caller gets
     * CannotAcquireLockException, SQLSTATE 55P03). Unset keeps the server's setting; 0 waits forever.
     */
    private @Nullable Duration lockTimeout;

    /**
     * Longest a session may stay idle inside an open transaction before the server ends the session and rolls the
     * transaction back, releasing its locks (idle_in_transaction_session_timeout, SQLSTATE 25P03). Unset keeps the
     * server's setting; 0 turns the limit off.
     */
    private @Nullable Duration idleInTransactionSessionTimeout;

    /**
     * TLS mode of the connection, as libpq names it. Unset leaves PgJDBC's default (prefer) or the URL's
     * sslmode parameter.
     */
    private @Nullable SslMode sslMode;

    /**
     * File holding the certificate authorities trusted to sign the server's certificate (PEM).
     */
    private @Nullable Path sslRootCert;

    /**
     * File holding the client certificate, for servers that authenticate clients by certificate.
     */
    private @Nullable Path sslCert;

    /**
     * File holding the client certificate's private key (PKCS-8 DER or PEM).
     */
    private @Nullable Path sslKey;

    private final Pool pool = new Pool();

    private final Replicas replicas = new Replicas();

    private final Failover failover = new Failover();

    private final Query query = new Query();

    private final Hooks hooks = new Hooks();

    private final Retry retry = new Retry();

    private final Metrics metrics = new Metrics();

    private final Tracing tracing = new Tracing();

    private final Safety safety = new Safety();

    private final Copy copy = new Copy();

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable String getUrl() {
        return this.url;
    }

    public void setUrl(@Nullable String url) {
        this.url = url;
    }

    public @Nullable String getHost() {
        return this.host;
    }

    public void setHost(@Nullable String host) {
        this.host = host;
    }

    public int getPort() {
        return this.port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public String getDatabase() {
        return this.database;
    }

    public void setDatabase(String database) {
        this.database = database;
    }

    public @Nullable String getUsername() {
        return this.username;
    }

    public void setUsername(@Nullable String username) {
        this.username = username;
    }

    public @Nullable String getPassword() {
        return this.password;
    }

    public void setPassword(@Nullable String password) {
        this.password = password;
    }

    public @Nullable String getApplicationName() {
        return this.applicationName;
    }

    public void setApplicationName(@Nullable String applicationName) {
        this.applicationName = applicationName;
    }

    public Duration getConnectTimeout() {
        return this.connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public Duration getSocketTimeout() {
        return this.socketTimeout;
    }

    public void setSocketTimeout(Duration socketTimeout) {
        this.socketTimeout = socketTimeout;
    }

    public @Nullable Duration getStatementTimeout() {
        return this.statementTimeout;
    }

    public void setStatementTimeout(@Nullable Duration statementTimeout) {
        this.statementTimeout = statementTimeout;
    }

    public @Nullable Duration getLockTimeout() {
        return this.lockTimeout;
    }

    public void setLockTimeout(@Nullable Duration lockTimeout) {
        this.lockTimeout = lockTimeout;
    }

    public @Nullable Duration getIdleInTransactionSessionTimeout() {
        return this.idleInTransactionSessionTimeout;
    }

    public void setIdleInTransactionSessionTimeout(@Nullable Duration idleInTransactionSessionTimeout) {
        this.idleInTransactionSessionTimeout = idleInTransactionSessionTimeout;
    }

    public @Nullable SslMode getSslMode() {
        return this.sslMode;
    }

    public void setSslMode(@Nullable SslMode sslMode) {
        this.sslMode = sslMode;
    }

    public @Nullable Path getSslRootCert() {
        return this.sslRootCert;
    }

    public void setSslRootCert(@Nullable Path sslRootCert) {
        this.sslRootCert = sslRootCert;
    }

    public @Nullable Path getSslCert() {
        return this.sslCert;
    }

    public void setSslCert(@Nullable Path sslCert) {
        this.sslCert = sslCert;
    }

    public @Nullable Path getSslKey() {
        return this.sslKey;
    }

    public void setSslKey(@Nullable Path sslKey) {
        this.sslKey = sslKey;
    }

    public List<Node> getNodes() {
        return this.nodes;
    }

    public void setNodes(List<Node> nodes) {
        this.nodes = nodes;
    }

    public Pool getPool() {
        return this.pool;
    }

    public Replicas getReplicas() {
        return this.replicas;
    }

    public Failover getFailover() {
        return this.failover;
    }

    public Query getQuery() {
        return this.query;
    }

    public Hooks getHooks() {
        return this.hooks;
    }

    public Metrics getMetrics() {
        return this.metrics;
    }

    public Tracing getTracing() {
        return this.tracing;
    }

    public Safety getSafety() {
        return this.safety;
    }

    public Retry getRetry() {
        return this.retry;
    }

    public Copy getCopy() {
        return this.copy;
    }

    /**
     * Defaults of bulk {@code COPY} in, for calls that pass no {@code CopyOptions}.
     */
    public static class Copy {

        /**
         * What a failure undoes: atomic (all rows in one transaction) or per-chunk (each chunk commits on its own,
         * transient failures are retried per chunk).
         */
        private CopyMode mode = CopyMode.ATOMIC;

        /**
         * How many connections load chunks at once; above 1 only with mode per-chunk.
         */
        private int parallelism = 1;

        /**
         * Rows per chunk in per-chunk mode.
         */
        private int chunkRows = CopyOptions.DEFAULT_CHUNK_ROWS;

        public CopyMode getMode() {
            return this.mode;
        }

        public void setMode(CopyMode mode) {
            this.mode = mode;
        }

        public int getParallelism() {
            return this.parallelism;
        }

        public void setParallelism(int parallelism) {
            this.parallelism = parallelism;
        }

        public int getChunkRows() {
            return this.chunkRows;
        }

        public void setChunkRows(int chunkRows) {
            this.chunkRows = chunkRows;
        }

    }

    /**
     * One node of the cluster. The short form, a {@code host:port} string, sets the address alone.
     */
    public static class Node {

        /**
         * Host and port of the node, for example db1.example.com:5432, or [::1]:5432 for an IPv6 address. The
         * port defaults to 5432.
         */
        private @Nullable String address;

        /**
         * Name of the node in logs, health details and metric tags. Defaults to the address.
         */
        private @Nullable String name;

        /**
         * Share of the reads the node serves under weighted load balancing, 1 or more.
         */
        private int weight = 1;

        /**
         * Free-form labels of the node, for example its availability zone.
         */
        private Set<String> tags = new LinkedHashSet<>();

        private final PoolOverrides pool = new PoolOverrides();

        public @Nullable String getAddress() {
            return this.address;
        }

        public void setAddress(@Nullable String address) {
            this.address = address;
        }

        public @Nullable String getName() {
            return this.name;
        }

        public void setName(@Nullable String name) {
            this.name = name;
        }

        public int getWeight() {
            return this.weight;
        }

        public void setWeight(int weight) {
            this.weight = weight;
        }

        public Set<String> getTags() {
            return this.tags;
        }

        public void setTags(Set<String> tags) {
            this.tags = tags;
        }

        public PoolOverrides getPool() {
            return this.pool;
        }

        @Override
        public String toString() {
            return "Node[address=" + this.address + ", name=" + this.name + ", weight=" + this.weight + ", tags="
                    + this.tags + "]";
        }

    }

    /**
     * Pool settings of one node that differ from nexs.postgres.pool. Unset values are taken from there.
     */
    public static class PoolOverrides {

        /**
         * Connections of this node's pool kept open when idle, instead of nexs.postgres.pool.min-idle.
         */
        private @Nullable Integer minIdle;

        /**
         * Most connections the pool opens to this node, instead of nexs.postgres.pool.max-size.
         */
        private @Nullable Integer maxSize;

        /**
         * How long a caller waits to borrow a connection of this node, instead of
         * nexs.postgres.pool.connection-timeout.
         */
        private @Nullable Duration connectionTimeout;

        /**
         * How long a connection to this node above min-idle may stay idle, instead of
         * nexs.postgres.pool.idle-timeout.
         */
        private @Nullable Duration idleTimeout;

        /**
         * Longest a connection to this node lives, instead of nexs.postgres.pool.max-lifetime.
         */
        private @Nullable Duration maxLifetime;

        public @Nullable Integer getMinIdle() {
            return this.minIdle;
        }

        public void setMinIdle(@Nullable Integer minIdle) {
            this.minIdle = minIdle;
        }

        public @Nullable Integer getMaxSize() {
            return this.maxSize;
        }

        public void setMaxSize(@Nullable Integer maxSize) {
            this.maxSize = maxSize;
        }

        public @Nullable Duration getConnectionTimeout() {
            return this.connectionTimeout;
        }

        public void setConnectionTimeout(@Nullable Duration connectionTimeout) {
            this.connectionTimeout = connectionTimeout;
        }

        public @Nullable Duration getIdleTimeout() {
            return this.idleTimeout;
        }

        public void setIdleTimeout(@Nullable Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public @Nullable Duration getMaxLifetime() {
            return this.maxLifetime;
        }

        public void setMaxLifetime(@Nullable Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
        }

        boolean isEmpty() {
            return this.minIdle == null && this.maxSize == null && this.connectionTimeout == null
                    && this.idleTimeout == null && this.maxLifetime == null;
        }

    }

    /**
     * Settings of the HikariCP pool opened for each node.
     */
    public static class Pool {

        /**
         * Connections kept open when the pool is idle. Defaults to max-size: a fixed-size pool, as HikariCP
         * recommends.
         */
        private @Nullable Integer minIdle;

        /**
         * Most connections the pool opens to one node.
         */
        private int maxSize = 10;

        /**
         * How long a caller waits to borrow a connection before failing. At least 250ms.
         */
        private Duration connectionTimeout = Duration.ofSeconds(30);

        /**
         * How long a connection above min-idle may stay idle before it is closed. Zero keeps idle connections;
         * otherwise at least 10s.
         */
        private Duration idleTimeout = Duration.ofMinutes(10);

        /**
         * Longest a connection lives before it is replaced; keep it below any server or network limit. Zero for
         * no limit; otherwise at least 30s.
         */
        private Duration maxLifetime = Duration.ofMinutes(30);

        /**
         * How often an idle connection is tested to keep it alive. Zero turns it off; otherwise at least 30s and
         * below max-lifetime.
         */
        private Duration keepaliveTime = Duration.ofMinutes(2);

        /**
         * How long a connection test may take. At least 250ms and below connection-timeout.
         */
        private Duration validationTimeout = Duration.ofSeconds(5);

        /**
         * How long a connection may stay borrowed before a warning with the borrower's stack trace is logged.
         * Zero turns it off; otherwise at least 2s.
         */
        private Duration leakDetectionThreshold = Duration.ZERO;

        /**
         * Whether start-up opens min-idle connections and checks the server's version and role.
         */
        private boolean warmUp = true;

        /**
         * Whether start-up fails when warm-up cannot reach the server. When false the application starts
         * degraded and the pool keeps trying to connect.
         */
        private boolean failFast = true;

        /**
         * How long closing the application waits for borrowed connections to come back before closing the pool.
         */
        private Duration shutdownTimeout = Duration.ofSeconds(30);

        public @Nullable Integer getMinIdle() {
            return this.minIdle;
        }

        public void setMinIdle(@Nullable Integer minIdle) {
            this.minIdle = minIdle;
        }

        public int getMaxSize() {
            return this.maxSize;
        }

        public void setMaxSize(int maxSize) {
            this.maxSize = maxSize;
        }

        public Duration getConnectionTimeout() {
            return this.connectionTimeout;
        }

        public void setConnectionTimeout(Duration connectionTimeout) {
            this.connectionTimeout = connectionTimeout;
        }

        public Duration getIdleTimeout() {
            return this.idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public Duration getMaxLifetime() {
            return this.maxLifetime;
        }

        public void setMaxLifetime(Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
        }

        public Duration getKeepaliveTime() {
            return this.keepaliveTime;
        }

        public void setKeepaliveTime(Duration keepaliveTime) {
            this.keepaliveTime = keepaliveTime;
        }

        public Duration getValidationTimeout() {
            return this.validationTimeout;
        }

        public void setValidationTimeout(Duration validationTimeout) {
            this.validationTimeout = validationTimeout;
        }

        public Duration getLeakDetectionThreshold() {
            return this.leakDetectionThreshold;
        }

        public void setLeakDetectionThreshold(Duration leakDetectionThreshold) {
            this.leakDetectionThreshold = leakDetectionThreshold;
        }

        public boolean isWarmUp() {
            return this.warmUp;
        }

        public void setWarmUp(boolean warmUp) {
            this.warmUp = warmUp;
        }

        public boolean isFailFast() {
            return this.failFast;
        }

        public void setFailFast(boolean failFast) {
            this.failFast = failFast;
        }

        public Duration getShutdownTimeout() {
            return this.shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }

    }

    /**
     * How reads are spread over the primary and the replicas.
     */
    public static class Replicas {

        /**
         * Which nodes serve a read when the caller does not choose: primary, secondary (replicas only),
         * secondary-preferred (replicas, else the primary) or nearest (the fastest to answer, primary included).
         */
        private ReadPreference readPreference = ReadPreference.SECONDARY_PREFERRED;

        /**
         * How a read chooses among the nodes its read preference allows: round-robin, random, weighted (by each
         * node's weight) or latency (the fastest recent check).
         */
        private LoadBalancing loadBalancing = LoadBalancing.ROUND_ROBIN;

        /**
         * Replication lag above which a replica serves no reads; while set, a replica whose lag is not measured
         * yet serves none either. Unset for no limit.
         */
        private @Nullable Duration maxLag;

        /**
         * Under the nearest read preference, nodes whose checks answer this much slower than the fastest node's
         * serve no reads.
         */
        private Duration latencyWindow = Duration.ofMillis(15);

        /**
         * How fresh a read from a replica must be when the code does not choose: read-your-writes (a replica that
         * has replayed what the reading thread lately, or the request, or the consistency token it carries, wrote;
         * else the primary) or eventual (any replica within max-lag).
         */
        private ReadConsistency consistency = ReadConsistency.READ_YOUR_WRITES;

        /**
         * Under read-your-writes, how long a read waits for a replica that has replayed its writes before it goes
         * to the primary (or fails, under the secondary read preference). Zero asks once and goes to the primary.
         */
        private Duration readYourWritesWait = TopologySettings.DEFAULT_READ_YOUR_WRITES_WAIT;

        /**
         * Under read-your-writes, how long a thread keeps reading its own writes after its last one, outside a web
         * request or a scope the code opened (which last until they end). Zero reads them only in such scopes.
         */
        private Duration readYourWritesWindow = TopologySettings.DEFAULT_READ_YOUR_WRITES_WINDOW;

        /**
         * Under read-your-writes in a Spring MVC application, the HTTP header that carries the consistency token:
         * read from each request, and set on the response to the position of the request's writes.
         */
        private String consistencyHeader = "Nexs-Consistency-Token";

        public ReadPreference getReadPreference() {
            return this.readPreference;
        }

        public void setReadPreference(ReadPreference readPreference) {
            this.readPreference = readPreference;
        }

        public LoadBalancing getLoadBalancing() {
            return this.loadBalancing;
        }

        public void setLoadBalancing(LoadBalancing loadBalancing) {
            this.loadBalancing = loadBalancing;
        }

        public @Nullable Duration getMaxLag() {
            return this.maxLag;
        }

        public void setMaxLag(@Nullable Duration maxLag) {
            this.maxLag = maxLag;
        }

        public Duration getLatencyWindow() {
            return this.latencyWindow;
        }

        public void setLatencyWindow(Duration latencyWindow) {
            this.latencyWindow = latencyWindow;
        }

        public ReadConsistency getConsistency() {
            return this.consistency;
        }

        public void setConsistency(ReadConsistency consistency) {
            this.consistency = consistency;
        }

        public Duration getReadYourWritesWait() {
            return this.readYourWritesWait;
        }

        public void setReadYourWritesWait(Duration readYourWritesWait) {
            this.readYourWritesWait = readYourWritesWait;
        }

        public Duration getReadYourWritesWindow() {
            return this.readYourWritesWindow;
        }

        public void setReadYourWritesWindow(Duration readYourWritesWindow) {
            this.readYourWritesWindow = readYourWritesWindow;
        }

        public String getConsistencyHeader() {
            return this.consistencyHeader;
        }

        public void setConsistencyHeader(String consistencyHeader) {
            this.consistencyHeader = consistencyHeader;
        }

    }

    /**
     * How nodes are checked, and how writes follow the primary when it changes.
     */
    public static class Failover {

        /**
         * Whether writes follow a new primary. When false, writes stay with the first node seen as primary and
         * fail at once while it is unhealthy.
         */
        private boolean enabled = true;

        /**
         * Time between two checks of a healthy node's role, replication lag and latency.
         */
        private Duration healthCheckInterval = Duration.ofMillis(500);

        /**
         * How long one check, connecting included, may take before it counts as failed. At least 100ms.
         */
        private Duration healthCheckTimeout = Duration.ofMillis(700);

        /**
         * Failed checks in a row that make a node unhealthy, and good checks in a row that make it healthy again.
         */
        private int failureThreshold = 2;

        /**
         * How long a write waits for a primary, during a failover, before it fails. Zero fails at once.
         */
        private Duration writeWaitTimeout = Duration.ofSeconds(15);

        /**
         * How often nodes are checked while writes wait for a primary or after a failed check. At most
         * health-check-interval.
         */
        private Duration probeInterval = Duration.ofMillis(25);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getHealthCheckInterval() {
            return this.healthCheckInterval;
        }

        public void setHealthCheckInterval(Duration healthCheckInterval) {
            this.healthCheckInterval = healthCheckInterval;
        }

        public Duration getHealthCheckTimeout() {
            return this.healthCheckTimeout;
        }

        public void setHealthCheckTimeout(Duration healthCheckTimeout) {
            this.healthCheckTimeout = healthCheckTimeout;
        }

        public int getFailureThreshold() {
            return this.failureThreshold;
        }

        public void setFailureThreshold(int failureThreshold) {
            this.failureThreshold = failureThreshold;
        }

        public Duration getWriteWaitTimeout() {
            return this.writeWaitTimeout;
        }

        public void setWriteWaitTimeout(Duration writeWaitTimeout) {
            this.writeWaitTimeout = writeWaitTimeout;
        }

        public Duration getProbeInterval() {
            return this.probeInterval;
        }

        public void setProbeInterval(Duration probeInterval) {
            this.probeInterval = probeInterval;
        }

    }

    /**
     * TLS modes of a PostgreSQL connection, with the names libpq and PgJDBC give them.
     */
    public enum SslMode {

        /** Plain TCP only. */
        DISABLE("disable"),

        /** Plain TCP, TLS when the server insists. */
        ALLOW("allow"),

        /** TLS when the server offers it, without checking its certificate. */
        PREFER("prefer"),

        /** TLS always, without checking the server's certificate. */
        REQUIRE("require"),

        /** TLS with a server certificate signed by a trusted authority. */
        VERIFY_CA("verify-ca"),

        /** TLS with a trusted server certificate whose name matches the host. */
        VERIFY_FULL("verify-full");

        private final String value;

        SslMode(String value) {
            this.value = value;
        }

        /**
         * The value of PgJDBC's {@code sslmode} parameter.
         * @return the libpq name of the mode
         */
        public String value() {
            return this.value;
        }

        @Override
        public String toString() {
            return this.value;
        }

    }

    /**
     * Settings of queries run through the PostgresProvider.
     */
    public static class Query {

        /**
         * Rows fetched per round trip when a query result is streamed through a server-side cursor.
         */
        private int fetchSize = 1000;

        /**
         * What row mapping does with a result column that no property of the target class takes: ignore it, or
         * fail so a misspelt alias is caught.
         */
        private UnmappedColumns unmappedColumns = UnmappedColumns.IGNORE;

        /**
         * Whether PgJDBC rewrites a batch of single-row inserts into multi-row inserts, several times faster.
         * Rewritten inserts report Statement.SUCCESS_NO_INFO instead of a row count.
         */
        private boolean rewriteBatchedInserts = true;

        public int getFetchSize() {
            return this.fetchSize;
        }

        public void setFetchSize(int fetchSize) {
            this.fetchSize = fetchSize;
        }

        public UnmappedColumns getUnmappedColumns() {
            return this.unmappedColumns;
        }

        public void setUnmappedColumns(UnmappedColumns unmappedColumns) {
            this.unmappedColumns = unmappedColumns;
        }

        public boolean isRewriteBatchedInserts() {
            return this.rewriteBatchedInserts;
        }

        public void setRewriteBatchedInserts(boolean rewriteBatchedInserts) {
            this.rewriteBatchedInserts = rewriteBatchedInserts;
        }

    }


    /**
     * Settings of the hooks called around database work.
     */
    public static class Hooks {

        /**
         * How long one hook call may run before it is interrupted, logged and counted as failed; 0 for no limit.
         * The database call goes on either way.
         */
        private Duration timeout = Duration.ofSeconds(1);

        /**
         * Whether hooks see bound parameter values. Off by default: the values are the application's data.
         */
        private boolean includeParameters = false;

        private final SlowQuery slowQuery = new SlowQuery();

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public boolean isIncludeParameters() {
            return this.includeParameters;
        }

        public void setIncludeParameters(boolean includeParameters) {
            this.includeParameters = includeParameters;
        }

        public SlowQuery getSlowQuery() {
            return this.slowQuery;
        }

    }

    /**
     * Settings of the slow-query log.
     */
    public static class SlowQuery {

        /**
         * Queries, statements and batches that take longer are logged as warnings, with literals removed from
         * the SQL and without parameter values. Unset: no slow-query log.
         */
        private @Nullable Duration threshold;

        public @Nullable Duration getThreshold() {
            return this.threshold;
        }

        public void setThreshold(@Nullable Duration threshold) {
            this.threshold = threshold;
        }

    }

    /**
     * Settings of the metrics nexs-postgres adds to Micrometer.
     */
    public static class Metrics {

        /**
         * Whether nexs-postgres registers its meters: pool gauges, node gauges, and counters of errors,
         * transactions, retries, failovers, hook failures and COPY.
         */
        private boolean enabled = true;

        /**
         * Whether every query, statement, batch, COPY and transaction is observed: a sample of the
         * db.query.duration timer, and a span when tracing is on.
         */
        private boolean observations = true;

        /**
         * Whether db.query.duration gets a "query" tag with the name a statement carries in a leading
         * "/* name: ... *&#47;" comment ("unnamed" otherwise). Every name is a series of its own: name only a
         * bounded set of statements.
         */
        private boolean queryTag = false;

        /**
         * Histogram buckets of db.query.duration.
         */
        private List<Duration> slo = new ArrayList<>(List.of(Duration.ofMillis(1), Duration.ofMillis(5),
                Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
                Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
                Duration.ofSeconds(5), Duration.ofSeconds(10)));

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isObservations() {
            return this.observations;
        }

        public void setObservations(boolean observations) {
            this.observations = observations;
        }

        public boolean isQueryTag() {
            return this.queryTag;
        }

        public void setQueryTag(boolean queryTag) {
            this.queryTag = queryTag;
        }

        public List<Duration> getSlo() {
            return this.slo;
        }

        public void setSlo(List<Duration> slo) {
            this.slo = slo;
        }

    }

    /**
     * Settings of the safety monitor, which reports connection leaks, long statements, idle transactions, lock
     * waits and deadlocks of this application, each once.
     */
    public static class Safety {

        /**
         * Whether the safety monitor runs.
         */
        private boolean enabled = true;

        /**
         * Time between two checks; each costs one short query per healthy node.
         */
        private Duration interval = Duration.ofSeconds(30);

        /**
         * A statement of this application running longer is reported.
         */
        private Duration longRunning = Duration.ofSeconds(30);

        /**
         * A session of this application idle inside an open transaction for longer is reported.
         */
        private Duration idleInTransaction = Duration.ofSeconds(30);

        /**
         * A statement of this application waiting for a lock for longer is reported, with the blocking sessions.
         */
        private Duration lockWait = Duration.ofSeconds(5);

        /**
         * A connection borrowed from a pool for longer is reported with the borrower's stack trace. Unset: no
         * leak detection (recording where each connection is borrowed costs a few microseconds per borrow).
         */
        private @Nullable Duration leakThreshold;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getInterval() {
            return this.interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Duration getLongRunning() {
            return this.longRunning;
        }

        public void setLongRunning(Duration longRunning) {
            this.longRunning = longRunning;
        }

        public Duration getIdleInTransaction() {
            return this.idleInTransaction;
        }

        public void setIdleInTransaction(Duration idleInTransaction) {
            this.idleInTransaction = idleInTransaction;
        }

        public Duration getLockWait() {
            return this.lockWait;
        }

        public void setLockWait(Duration lockWait) {
            this.lockWait = lockWait;
        }

        public @Nullable Duration getLeakThreshold() {
            return this.leakThreshold;
        }

        public void setLeakThreshold(@Nullable Duration leakThreshold) {
            this.leakThreshold = leakThreshold;
        }

    }

    /**
     * Settings of the spans of database operations.
     */
    public static class Tracing {

        /**
         * Whether spans carry the SQL (db.query.text), with string, numeric and dollar-quoted literals removed.
         */
        private boolean includeSql = false;

        public boolean isIncludeSql() {
            return this.includeSql;
        }

        public void setIncludeSql(boolean includeSql) {
            this.includeSql = includeSql;
        }

    }

    /**
     * Settings of retries after transient failures, and of the check of commits whose connection was lost.
     */
    public static class Retry {

        /**
         * Whether transient failures are retried: whole transactions begun by inTransaction, queries, and
         * statements that never reached the server.
         */
        private boolean enabled = true;

        /**
         * The most executions of one piece of work, the first included.
         */
        private int maxAttempts = 3;

        /**
         * The pause before the first retry.
         */
        private Duration initialInterval = Duration.ofMillis(50);

        /**
         * How much each pause grows over the previous one.
         */
        private double multiplier = 2.0;

        /**
         * The longest pause between two attempts.
         */
        private Duration maxInterval = Duration.ofSeconds(1);

        /**
         * How much a pause may randomly differ, up or down, so that clients that failed together do not retry
         * together.
         */
        private Duration jitter = Duration.ofMillis(25);

        /**
         * Whether a transaction whose connection was lost during COMMIT is looked up on the primary
         * (pg_xact_status) to tell committed from rolled back. Costs one round trip per read-write transaction.
         * Without it, such a commit fails with CommitOutcomeUnknownException.
         */
        private boolean verifyCommit = true;

        /**
         * How long the commit check may try to reach the primary before the outcome is reported unknown.
         */
        private Duration verifyCommitTimeout = Duration.ofSeconds(10);

        /**
         * Whether a write outside a transaction (exec, batch, pipeline, notify) runs as a short transaction whose
         * COMMIT, when its connection is lost, is settled like a transaction's, so the caller learns applied or
         * not applied instead of OutcomeUnknownException. Costs two round trips more per write. Needs verify-commit.
         */
        private boolean settleAutoCommitWrites = false;

        /**
         * The most one call may take over all its attempts and pauses, waits for a primary and for a connection
         * included: no pause begins and no attempt starts past it, and the caller gets the last failure. 0 for no
         * limit.
         */
        private Duration timeout = Duration.ofSeconds(30);

        /**
         * SQLSTATEs treated as transient besides the defaults (class 08, 40001, 40P01, 57P01-03, 53300): five
         * characters, or a two-character class.
         */
        private List<String> transientSqlStates = new ArrayList<>();

        /**
         * Exception classes treated as transient besides the defaults, by fully qualified name.
         */
        private List<String> transientExceptions = new ArrayList<>();

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getMaxAttempts() {
            return this.maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getInitialInterval() {
            return this.initialInterval;
        }

        public void setInitialInterval(Duration initialInterval) {
            this.initialInterval = initialInterval;
        }

        public double getMultiplier() {
            return this.multiplier;
        }

        public void setMultiplier(double multiplier) {
            this.multiplier = multiplier;
        }

        public Duration getMaxInterval() {
            return this.maxInterval;
        }

        public void setMaxInterval(Duration maxInterval) {
            this.maxInterval = maxInterval;
        }

        public Duration getJitter() {
            return this.jitter;
        }

        public void setJitter(Duration jitter) {
            this.jitter = jitter;
        }

        public boolean isVerifyCommit() {
            return this.verifyCommit;
        }

        public void setVerifyCommit(boolean verifyCommit) {
            this.verifyCommit = verifyCommit;
        }

        public Duration getVerifyCommitTimeout() {
            return this.verifyCommitTimeout;
        }

        public void setVerifyCommitTimeout(Duration verifyCommitTimeout) {
            this.verifyCommitTimeout = verifyCommitTimeout;
        }

        public boolean isSettleAutoCommitWrites() {
            return this.settleAutoCommitWrites;
        }

        public void setSettleAutoCommitWrites(boolean settleAutoCommitWrites) {
            this.settleAutoCommitWrites = settleAutoCommitWrites;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public List<String> getTransientSqlStates() {
            return this.transientSqlStates;
        }

        public void setTransientSqlStates(List<String> transientSqlStates) {
            this.transientSqlStates = transientSqlStates;
        }

        public List<String> getTransientExceptions() {
            return this.transientExceptions;
        }

        public void setTransientExceptions(List<String> transientExceptions) {
            this.transientExceptions = transientExceptions;
        }

    }

}
