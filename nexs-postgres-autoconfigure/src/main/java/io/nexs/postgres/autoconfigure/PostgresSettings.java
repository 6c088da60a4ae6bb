package io.nexs.postgres.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Failover;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Hooks;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Pool;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.PoolOverrides;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Replicas;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Retry;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Safety;
import io.nexs.postgres.autoconfigure.PostgresServers.Server;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.observe.SafetyMonitor;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.TopologySettings;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * The one step from {@code nexs.postgres.*} and the {@link PostgresConnectionDetails} to the settings the core
 * takes: every value is checked here, and a value that cannot work fails start-up with an
 * {@link InvalidPostgresPropertyException} that names the property and the fix (the failure analyzer prints it).
 * Each group is checked when the bean that needs it is created, so an application that keeps its own
 * {@code DataSource} is not asked for a server address. The servers themselves are read by
 * {@link PostgresServers}. Public only for the auto-configurations of the sub-packages; it is not an API.
 */
public final class PostgresSettings {

    private static final String PREFIX = "nexs.postgres.";

    private static final String POOL_PREFIX = PREFIX + "pool.";

    private static final String HOOKS = PREFIX + "hooks.";

    private static final String RETRY = PREFIX + "retry.";

    private static final String SAFETY = PREFIX + "safety.";

    /** How long the safety monitor's own queries may take. */
    private static final Duration SAFETY_QUERY_TIMEOUT = Duration.ofSeconds(5);

    private static final Duration MIN_TIMEOUT = Duration.ofMillis(250);

    private static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(10);

    private static final Duration MIN_LIFETIME = Duration.ofSeconds(30);

    private static final Duration MIN_LEAK_THRESHOLD = Duration.ofSeconds(2);

    private static final Duration MIN_CHECK_TIMEOUT = Duration.ofMillis(100);

    /** The largest time limit the server accepts: its settings in milliseconds are 32-bit integers. */
    private static final Duration MAX_SERVER_MILLIS = Duration.ofMillis(Integer.MAX_VALUE);

    private static final String DEFAULT_APPLICATION_NAME = "nexs-postgres";

    private static final Logger logger = LoggerFactory.getLogger(PostgresSettings.class);

    private PostgresSettings() {
    }

    /**
     * The nodes of the cluster and how it is watched and routed.
     *
     * @param nodes the nodes of the cluster, at least one, in the order they were configured
     * @param topology how reads are routed and nodes are watched
     */
    record Cluster(List<NodeDefinition> nodes, TopologySettings topology) {

        Cluster {
            nodes = List.copyOf(nodes);
            Objects.requireNonNull(topology, "topology");
        }

    }

    /**
     * Reads and checks the nodes and the topology settings.
     * @param properties the bound properties
     * @param details where the servers and credentials come from; {@code null} or the properties' own details
     * read them from {@code nexs.postgres.*}, with per-node pool overrides. Other details take the place of the
     * URL (or nodes), user name and password properties; a URL with several hosts gives several nodes.
     * @param springApplicationName the value of {@code spring.application.name}, if set
     * @return the settings
     * @throws InvalidPostgresPropertyException when a property holds a value that cannot work
     */
    static Cluster cluster(NexsPostgresProperties properties, @Nullable PostgresConnectionDetails details,
            @Nullable String springApplicationName) {
        return cluster(properties, details, SpringDataSourceProperties.NONE, springApplicationName);
    }

    /**
     * Reads and checks the nodes and the topology settings, taking {@code spring.datasource.*} into account as
     * {@link #login} says, and logs what start-up has to tell about them: where the servers came from when that is
     * not {@code nexs.postgres.*}, and the {@code spring.datasource} keys that have no effect.
     * @param properties the bound properties
     * @param details where the servers and credentials come from, as for
     * {@link #cluster(NexsPostgresProperties, PostgresConnectionDetails, String)}
     * @param springDataSource what the application sets under {@code spring.datasource.*}
     * @param springApplicationName the value of {@code spring.application.name}, if set
     * @return the settings
     * @throws InvalidPostgresPropertyException when a property holds a value that cannot work
     */
    static Cluster cluster(NexsPostgresProperties properties, @Nullable PostgresConnectionDetails details,
            SpringDataSourceProperties springDataSource, @Nullable String springApplicationName) {
        String unusedKeys = springDataSource.unusedKeysWarning();
        if (unusedKeys != null) {
            logger.warn(unusedKeys);
        }
        Login login = login(properties, details, springDataSource);
        if (login.notice() != null) {
            logger.info(login.notice());
        }
        List<Server> servers = login.servers();
        String username = login.username();
        String password = login.password();
        Map<String, String> driverProperties = driverProperties(properties, springApplicationName);
        Map<String, String> sessionSettings = sessionSettings(properties);
        Pool globalPool = properties.getPool();
        PoolSettings pool = pool(globalPool, null, POOL_PREFIX);
        List<NodeDefinition> nodes = new ArrayList<>(servers.size());
        for (Server server : servers) {
            ConnectionSettings connection = new ConnectionSettings(server.address(), server.jdbcUrl(), username,
                    password, driverProperties, sessionSettings);
            PoolOverrides overrides = server.pool();
            PoolSettings nodePool = (overrides == null || overrides.isEmpty()) ? pool
                    : pool(globalPool, overrides, server.property() + ".pool.");
            nodes.add(new NodeDefinition(server.name(), connection, nodePool, server.weight(), server.tags()));
        }
        return new Cluster(nodes, topology(properties));
    }

    private static Map<String, String> driverProperties(NexsPostgresProperties properties,
            @Nullable String springApplicationName) {
        Map<String, String> driver = new LinkedHashMap<>();
        // PgJDBC's connectTimeout covers the TCP connect only; loginTimeout bounds TLS and authentication too.
        String connectTimeout = seconds(PREFIX + "connect-timeout", properties.getConnectTimeout());
        driver.put("connectTimeout", connectTimeout);
        driver.put("loginTimeout", connectTimeout);
        driver.put("socketTimeout", seconds(PREFIX + "socket-timeout", properties.getSocketTimeout()));
        String applicationName = StringUtils.hasText(properties.getApplicationName())
                ? properties.getApplicationName()
                : (StringUtils.hasText(springApplicationName) ? springApplicationName : DEFAULT_APPLICATION_NAME);
        driver.put("ApplicationName", applicationName);
        if (properties.getSslMode() != null) {
            driver.put("sslmode", properties.getSslMode().value());
        }
        putFile(driver, "sslrootcert", PREFIX + "ssl-root-cert", properties.getSslRootCert());
        putFile(driver, "sslcert", PREFIX + "ssl-cert", properties.getSslCert());
        putFile(driver, "sslkey", PREFIX + "ssl-key", properties.getSslKey());
        driver.put("reWriteBatchedInserts", String.valueOf(properties.getQuery().isRewriteBatchedInserts()));
        // The server's Detail line quotes key values ("Key (email)=(...) already exists"): data that must not
        // reach logs through exception messages. The SQLSTATE and constraint name stay.
        driver.put("logServerErrorDetail", "false");
        return driver;
    }

    /**
     * The server settings every pooled session starts with: the time limits that are set, in milliseconds (the
     * unit of each of them). Unset ones are left out, so the server's own, or the role's, apply.
     */
    private static Map<String, String> sessionSettings(NexsPostgresProperties properties) {
        Map<String, String> settings = new LinkedHashMap<>();
        putMillis(settings, "statement_timeout", PREFIX + "statement-timeout", properties.getStatementTimeout());
        putMillis(settings, "lock_timeout", PREFIX + "lock-timeout", properties.getLockTimeout());
        putMillis(settings, "idle_in_transaction_session_timeout", PREFIX + "idle-in-transaction-session-timeout",
                properties.getIdleInTransactionSessionTimeout());
        Duration statementTimeout = properties.getStatementTimeout();
        Duration socketTimeout = properties.getSocketTimeout();
        if (statementTimeout != null && !statementTimeout.isZero() && socketTimeout != null && !socketTimeout.isZero()
                && socketTimeout.compareTo(statementTimeout) <= 0) {
            // the client would drop the connection while the server still runs the statement: a write's outcome
            // would be unknown where the server would have cancelled it cleanly
            throw new InvalidPostgresPropertyException(PREFIX + "socket-timeout", format(socketTimeout),
                    "a read would give up before the server cancels a statement at statement-timeout ("
                            + format(statementTimeout) + ")",
                    "Set " + PREFIX + "socket-timeout well above " + PREFIX + "statement-timeout, or to 0.");
        }
        return settings;
    }

    private static void putMillis(Map<String, String> settings, String name, String property,
            @Nullable Duration value) {
        if (value == null) {
            return;
        }
        if (value.isNegative()) {
            throw new InvalidPostgresPropertyException(property, format(value), "a time limit cannot be negative",
                    "Set " + property + " to a positive duration such as 30s, to 0 to turn the limit off, or "
                            + "remove it to keep the server's setting.");
        }
        if (value.compareTo(MAX_SERVER_MILLIS) > 0) {
            throw new InvalidPostgresPropertyException(property, format(value),
                    "PostgreSQL takes at most " + MAX_SERVER_MILLIS.toMillis() + "ms (about 24 days)",
                    "Set " + property + " to a shorter duration, or to 0 to turn the limit off.");
        }
        long millis = value.toMillis();
        // a limit below one millisecond would read as 0, no limit at all
        settings.put(name, String.valueOf((millis == 0 && !value.isZero()) ? 1 : millis));
    }

    private static void putFile(Map<String, String> driver, String key, String property, @Nullable Path file) {
        if (file == null) {
            return;
        }
        if (!Files.isReadable(file)) {
            throw new InvalidPostgresPropertyException(property, file.toString(), "the file does not exist or "
                    + "cannot be read", "Point " + property + " at a readable file, or remove it.");
        }
        driver.put(key, file.toAbsolutePath().toString());
    }

    /** PgJDBC takes whole seconds; a non-zero timeout below one second becomes one second. */
    private static String seconds(String property, Duration timeout) {
        requireNotNegative(property, timeout);
        long seconds = timeout.toSeconds();
        if (seconds == 0 && !timeout.isZero()) {
            seconds = 1;
        }
        return String.valueOf(seconds);
    }

    /**
     * Checks a pool's settings: the global ones ({@code overrides} null), or a node's, each taken from its
     * overrides when set there and from {@code nexs.postgres.pool.*} otherwise. Errors name the property the
     * offending value came from.
     * @param global the global pool settings
     * @param overrides the node's overrides, or {@code null} for the global pool
     * @param overridePrefix the property prefix of the overrides, for example {@code nexs.postgres.nodes[1].pool.}
     */
    private static PoolSettings pool(Pool global, @Nullable PoolOverrides overrides, String overridePrefix) {
        Setting<Integer> maxSize = Setting.of("max-size", global.getMaxSize(),
                (overrides != null) ? overrides.getMaxSize() : null, overridePrefix);
        Setting<@Nullable Integer> minIdleSetting = Setting.of("min-idle", global.getMinIdle(),
                (overrides != null) ? overrides.getMinIdle() : null, overridePrefix);
        Setting<Duration> connectionTimeout = Setting.of("connection-timeout", global.getConnectionTimeout(),
                (overrides != null) ? overrides.getConnectionTimeout() : null, overridePrefix);
        Setting<Duration> idleTimeout = Setting.of("idle-timeout", global.getIdleTimeout(),
                (overrides != null) ? overrides.getIdleTimeout() : null, overridePrefix);
        Setting<Duration> maxLifetime = Setting.of("max-lifetime", global.getMaxLifetime(),
                (overrides != null) ? overrides.getMaxLifetime() : null, overridePrefix);
        Setting<Duration> keepaliveTime = Setting.of("keepalive-time", global.getKeepaliveTime(), null, "");
        Setting<Duration> validationTimeout = Setting.of("validation-timeout", global.getValidationTimeout(), null,
                "");

        if (maxSize.value() < 1) {
            throw new InvalidPostgresPropertyException(maxSize.property(), String.valueOf(maxSize.value()),
                    "a pool needs room for at least one connection", "Set " + maxSize.property() + " to 1 or more"
                            + (maxSize.overridden() ? ", or remove it to use " + POOL_PREFIX + "max-size."
                                    : " (the default is 10)."));
        }
        Integer writtenMinIdle = minIdleSetting.value();
        int minIdle = (writtenMinIdle != null) ? writtenMinIdle : maxSize.value();
        if (minIdle < 0) {
            throw new InvalidPostgresPropertyException(minIdleSetting.property(), String.valueOf(minIdle),
                    "the number of idle connections cannot be negative", "Set " + minIdleSetting.property()
                            + " to 0 or more, or leave it out to keep max-size connections.");
        }
        if (minIdle > maxSize.value()) {
            throw new InvalidPostgresPropertyException(minIdleSetting.property(), String.valueOf(minIdle),
                    "min-idle is above max-size (" + maxSize.value() + ")",
                    "Lower " + minIdleSetting.property() + " to at most " + maxSize.value() + ", or raise "
                            + maxSize.property() + ".");
        }
        requireAtLeast(connectionTimeout.property(), connectionTimeout.value(), MIN_TIMEOUT);
        requireAtLeast(validationTimeout.property(), validationTimeout.value(), MIN_TIMEOUT);
        if (validationTimeout.value().compareTo(connectionTimeout.value()) >= 0) {
            throw new InvalidPostgresPropertyException(validationTimeout.property(),
                    format(validationTimeout.value()),
                    "a connection test must finish before a borrower gives up (connection-timeout is "
                            + format(connectionTimeout.value()) + ")",
                    "Set " + validationTimeout.property() + " below " + connectionTimeout.property() + ".");
        }
        requireZeroOrAtLeast(idleTimeout.property(), idleTimeout.value(), MIN_IDLE_TIMEOUT);
        requireZeroOrAtLeast(maxLifetime.property(), maxLifetime.value(), MIN_LIFETIME);
        requireZeroOrAtLeast(keepaliveTime.property(), keepaliveTime.value(), MIN_LIFETIME);
        if (!keepaliveTime.value().isZero() && !maxLifetime.value().isZero()
                && keepaliveTime.value().compareTo(maxLifetime.value()) >= 0) {
            throw new InvalidPostgresPropertyException(keepaliveTime.property(), format(keepaliveTime.value()),
                    "a keep-alive test is useless when connections are replaced sooner (max-lifetime is "
                            + format(maxLifetime.value()) + ")",
                    "Set " + keepaliveTime.property() + " below " + maxLifetime.property() + ", or 0 to turn "
                            + "it off.");
        }
        requireZeroOrAtLeast(POOL_PREFIX + "leak-detection-threshold", global.getLeakDetectionThreshold(),
                MIN_LEAK_THRESHOLD);
        requireNotNegative(POOL_PREFIX + "shutdown-timeout", global.getShutdownTimeout());
        return new PoolSettings(minIdle, maxSize.value(), connectionTimeout.value(), idleTimeout.value(),
                maxLifetime.value(), keepaliveTime.value(), validationTimeout.value(),
                global.getLeakDetectionThreshold(), global.isWarmUp(), global.isFailFast(),
                global.getShutdownTimeout());
    }

    private static TopologySettings topology(NexsPostgresProperties properties) {
        Replicas replicas = properties.getReplicas();
        Failover failover = properties.getFailover();
        String replicasPrefix = PREFIX + "replicas.";
        String failoverPrefix = PREFIX + "failover.";
        requireSet(replicasPrefix + "read-preference", replicas.getReadPreference(),
                "primary, secondary, secondary-preferred or nearest");
        requireSet(replicasPrefix + "load-balancing", replicas.getLoadBalancing(),
                "round-robin, random, weighted or latency");
        Duration maxLag = replicas.getMaxLag();
        if (maxLag != null && maxLag.isNegative()) {
            throw new InvalidPostgresPropertyException(replicasPrefix + "max-lag", format(maxLag),
                    "a replication lag cannot be negative", "Set " + replicasPrefix + "max-lag to zero or a "
                            + "positive duration such as 5s, or leave it out for no limit.");
        }
        requireNotNegative(replicasPrefix + "latency-window", replicas.getLatencyWindow());
        requireSet(replicasPrefix + "consistency", replicas.getConsistency(), "eventual or read-your-writes");
        requireNotNegative(replicasPrefix + "read-your-writes-wait", replicas.getReadYourWritesWait(), "200ms");
        requireNotNegative(replicasPrefix + "read-your-writes-window", replicas.getReadYourWritesWindow(), "5s");
        consistencyHeader(properties);

        String interval = failoverPrefix + "health-check-interval";
        requirePositive(interval, failover.getHealthCheckInterval(), "500ms");
        String timeout = failoverPrefix + "health-check-timeout";
        requirePositive(timeout, failover.getHealthCheckTimeout(), "700ms");
        if (failover.getHealthCheckTimeout().compareTo(MIN_CHECK_TIMEOUT) < 0) {
            throw new InvalidPostgresPropertyException(timeout, format(failover.getHealthCheckTimeout()),
                    "a check must connect and run a query, which takes more than "
                            + format(failover.getHealthCheckTimeout()) + " on most networks",
                    "Set " + timeout + " to " + format(MIN_CHECK_TIMEOUT) + " or more (the default is 700ms).");
        }
        if (failover.getFailureThreshold() < 1) {
            throw new InvalidPostgresPropertyException(failoverPrefix + "failure-threshold",
                    String.valueOf(failover.getFailureThreshold()),
                    "it takes at least one failed check to find a node unhealthy",
                    "Set " + failoverPrefix + "failure-threshold to 1 or more (the default is 2).");
        }
        requireNotNegative(failoverPrefix + "write-wait-timeout", failover.getWriteWaitTimeout());
        String probe = failoverPrefix + "probe-interval";
        requirePositive(probe, failover.getProbeInterval(), "25ms");
        if (failover.getProbeInterval().compareTo(failover.getHealthCheckInterval()) > 0) {
            throw new InvalidPostgresPropertyException(probe, format(failover.getProbeInterval()),
                    "nodes would be checked less often while writes wait for a primary than when all is well "
                            + "(health-check-interval is " + format(failover.getHealthCheckInterval()) + ")",
                    "Set " + probe + " to at most " + interval + ", or raise " + interval + ".");
        }
        return new TopologySettings(replicas.getReadPreference(), replicas.getLoadBalancing(), maxLag,
                replicas.getLatencyWindow(), failover.isEnabled(), failover.getHealthCheckInterval(),
                failover.getHealthCheckTimeout(), failover.getFailureThreshold(), failover.getWriteWaitTimeout(),
                failover.getProbeInterval(), replicas.getConsistency(), replicas.getReadYourWritesWait(),
                replicas.getReadYourWritesWindow());
    }

    /**
     * The HTTP header that carries consistency tokens, checked.
     * @param properties the properties
     * @return the header's name
     * @throws InvalidPostgresPropertyException when it is not a valid header name
     */
    public static String consistencyHeader(NexsPostgresProperties properties) {
        String property = PREFIX + "replicas.consistency-header";
        String header = properties.getReplicas().getConsistencyHeader();
        if (header == null || header.isEmpty() || !header.chars().allMatch(PostgresSettings::isHeaderNameChar)) {
            throw new InvalidPostgresPropertyException(property, header,
                    "an HTTP header name is one or more letters, digits and !#$%&'*+-.^_`|~",
                    "Set " + property + " to a header name such as Nexs-Consistency-Token (the default).");
        }
        return header;
    }

    private static boolean isHeaderNameChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static void requireSet(String property, @Nullable Object value, String choices) {
        if (value == null) {
            throw new InvalidPostgresPropertyException(property, null, "no value is set",
                    "Set " + property + " to " + choices + ", or leave it out to use the default.");
        }
    }

    private static void requireSet(String property, @Nullable Duration value) {
        if (value == null) {
            throw new InvalidPostgresPropertyException(property, null, "no duration is set",
                    "Set " + property + " to a duration such as 30s, or leave it out to use the default.");
        }
    }

    private static Duration requirePositive(String property, @Nullable Duration value, String example) {
        return requirePositive(property, value, example, "");
    }

    /**
     * @param example a value that works, often the default
     * @param alternative more of the action, for example how to turn the feature off, or empty
     */
    private static Duration requirePositive(String property, @Nullable Duration value, String example,
            String alternative) {
        requireSet(property, value);
        if (value.isNegative() || value.isZero()) {
            throw new InvalidPostgresPropertyException(property, format(value), "the duration must be positive",
                    "Set " + property + " to a positive duration such as " + example + alternative + ".");
        }
        return value;
    }

    private static void requireNotNegative(String property, @Nullable Duration value) {
        requireNotNegative(property, value, "30s");
    }

    private static void requireNotNegative(String property, @Nullable Duration value, String example) {
        requireSet(property, value);
        if (value.isNegative()) {
            throw new InvalidPostgresPropertyException(property, format(value), "a duration cannot be negative",
                    "Set " + property + " to zero or a positive duration such as " + example + ".");
        }
    }

    private static void requireAtLeast(String property, @Nullable Duration value, Duration minimum) {
        requireSet(property, value);
        if (value.compareTo(minimum) < 0) {
            throw new InvalidPostgresPropertyException(property, format(value),
                    "HikariCP needs at least " + minimum.toMillis() + "ms",
                    "Set " + property + " to " + minimum.toMillis() + "ms or more.");
        }
    }

    private static void requireZeroOrAtLeast(String property, @Nullable Duration value, Duration minimum) {
        requireNotNegative(property, value);
        if (!value.isZero() && value.compareTo(minimum) < 0) {
            throw new InvalidPostgresPropertyException(property, format(value),
                    "HikariCP needs 0 (off) or at least " + minimum.toSeconds() + "s",
                    "Set " + property + " to 0 or to " + minimum.toSeconds() + "s or more.");
        }
    }

    /**
     * Rows per round trip of a stream ({@code nexs.postgres.query.fetch-size}).
     * @param properties the properties
     * @return the fetch size
     */
    static int fetchSize(NexsPostgresProperties properties) {
        int fetchSize = properties.getQuery().getFetchSize();
        if (fetchSize < 1) {
            throw new InvalidPostgresPropertyException(PREFIX + "query.fetch-size", String.valueOf(fetchSize),
                    "a stream needs at least one row per round trip",
                    "Set " + PREFIX + "query.fetch-size to a positive number of rows (the default is 1000).");
        }
        return fetchSize;
    }

    /**
     * The defaults of every COPY load ({@code nexs.postgres.copy.*}).
     * @param properties the properties
     * @return the options
     */
    static CopyOptions copyDefaults(NexsPostgresProperties properties) {
        NexsPostgresProperties.Copy copy = properties.getCopy();
        String copyPrefix = PREFIX + "copy.";
        int parallelism = copy.getParallelism();
        if (parallelism < 1 || parallelism > CopyOptions.MAX_PARALLELISM) {
            throw new InvalidPostgresPropertyException(copyPrefix + "parallelism", String.valueOf(parallelism),
                    "a load uses from 1 to " + CopyOptions.MAX_PARALLELISM + " connections",
                    "Set " + copyPrefix + "parallelism between 1 and " + CopyOptions.MAX_PARALLELISM
                            + ", and below the pool's maximum size.");
        }
        if (parallelism > 1 && copy.getMode() == CopyMode.ATOMIC) {
            throw new InvalidPostgresPropertyException(copyPrefix + "parallelism", String.valueOf(parallelism),
                    "an atomic COPY loads in one transaction, on one connection",
                    "Set " + copyPrefix + "mode=per-chunk to load chunks over several connections, or set "
                            + copyPrefix + "parallelism=1.");
        }
        if (copy.getChunkRows() < 1) {
            throw new InvalidPostgresPropertyException(copyPrefix + "chunk-rows", String.valueOf(copy.getChunkRows()),
                    "a chunk holds at least one row", "Set " + copyPrefix + "chunk-rows to a positive number of "
                            + "rows (the default is " + CopyOptions.DEFAULT_CHUNK_ROWS + ").");
        }
        return CopyOptions.defaults()
            .withMode(copy.getMode())
            .withParallelism(parallelism)
            .withChunkRows(copy.getChunkRows());
    }

    /**
     * The hook registry ({@code nexs.postgres.hooks.*}), with no hook in it yet.
     * @param properties the properties
     * @return the registry
     */
    static HookManager hookManager(NexsPostgresProperties properties) {
        Hooks hooks = properties.getHooks();
        Duration timeout = hooks.getTimeout();
        if (timeout == null || timeout.isNegative()) {
            throw new InvalidPostgresPropertyException(HOOKS + "timeout", String.valueOf(timeout),
                    "a hook timeout cannot be negative",
                    "Set " + HOOKS + "timeout to a duration such as 1s, or 0 to let hooks run without a limit.");
        }
        return new HookManager(timeout, hooks.isIncludeParameters());
    }

    /**
     * The threshold of the slow-query log ({@code nexs.postgres.hooks.slow-query.threshold}).
     * @param properties the properties
     * @return the threshold, or {@code null} when the log is off
     */
    static @Nullable Duration slowQueryThreshold(NexsPostgresProperties properties) {
        Duration threshold = properties.getHooks().getSlowQuery().getThreshold();
        if (threshold != null && threshold.isNegative()) {
            throw new InvalidPostgresPropertyException(HOOKS + "slow-query.threshold", format(threshold),
                    "a threshold cannot be negative", "Set " + HOOKS + "slow-query.threshold to a duration such "
                            + "as 500ms, or remove it to turn the slow-query log off.");
        }
        return threshold;
    }

    /**
     * How transient failures are retried ({@code nexs.postgres.retry.*}).
     * @param properties the properties
     * @return the settings
     */
    static RetrySettings retry(NexsPostgresProperties properties) {
        Retry retry = properties.getRetry();
        if (retry.getMaxAttempts() < 1) {
            throw new InvalidPostgresPropertyException(RETRY + "max-attempts", String.valueOf(retry.getMaxAttempts()),
                    "every piece of work runs at least once", "Set " + RETRY + "max-attempts to 1 or more (1 "
                            + "means no retry), or set " + RETRY + "enabled=false to turn retries off.");
        }
        requireNotNegative(RETRY + "initial-interval", retry.getInitialInterval(), "50ms");
        if (!(retry.getMultiplier() >= 1.0)) {
            throw new InvalidPostgresPropertyException(RETRY + "multiplier", String.valueOf(retry.getMultiplier()),
                    "pauses must not shrink from one retry to the next",
                    "Set " + RETRY + "multiplier to 1 (equal pauses) or more, such as 2.");
        }
        requirePositive(RETRY + "max-interval", retry.getMaxInterval(), "1s");
        requireNotNegative(RETRY + "jitter", retry.getJitter(), "25ms");
        requirePositive(RETRY + "verify-commit-timeout", retry.getVerifyCommitTimeout(), "10s");
        if (retry.isSettleAutoCommitWrites() && !retry.isVerifyCommit()) {
            throw new InvalidPostgresPropertyException(RETRY + "settle-auto-commit-writes", "true",
                    "a write's lost COMMIT is settled by the commit check, which " + RETRY + "verify-commit=false "
                            + "turns off", "Set " + RETRY + "verify-commit=true, or " + RETRY
                            + "settle-auto-commit-writes=false.");
        }
        requireNotNegative(RETRY + "timeout", retry.getTimeout(), "30s");
        return new RetrySettings(retry.isEnabled(), retry.getMaxAttempts(), retry.getInitialInterval(),
                retry.getMultiplier(), retry.getMaxInterval(), retry.getJitter(), retry.isVerifyCommit(),
                retry.getVerifyCommitTimeout())
            .withSettleAutoCommitWrites(retry.isSettleAutoCommitWrites())
            .withTimeout(retry.getTimeout());
    }

    /**
     * Which failures are transient: the defaults and those of {@code nexs.postgres.retry.transient-*}.
     * @param properties the properties
     * @param classLoader loads the exception classes named there
     * @return the classification
     */
    static TransientErrors transientErrors(NexsPostgresProperties properties, @Nullable ClassLoader classLoader) {
        Retry retry = properties.getRetry();
        TransientErrors errors = TransientErrors.defaults();
        for (int i = 0; i < retry.getTransientSqlStates().size(); i++) {
            String state = retry.getTransientSqlStates().get(i);
            try {
                errors = errors.withSqlStates(TransientErrors.requireSqlState((state != null) ? state.strip() : null));
            }
            catch (IllegalArgumentException ex) {
                throw new InvalidPostgresPropertyException(RETRY + "transient-sql-states[" + i + "]", state,
                        "it is not a SQLSTATE", "Use a five-character SQLSTATE such as 55P03, or a two-character "
                                + "class such as 08, in digits and upper-case letters.");
            }
        }
        for (int i = 0; i < retry.getTransientExceptions().size(); i++) {
            String name = retry.getTransientExceptions().get(i);
            String property = RETRY + "transient-exceptions[" + i + "]";
            Class<?> type;
            try {
                type = ClassUtils.forName(String.valueOf(name).strip(), classLoader);
            }
            catch (ClassNotFoundException | LinkageError ex) {
                throw new InvalidPostgresPropertyException(property, name, "no such class is on the class path",
                        "Give the fully qualified name of an exception class, such as "
                                + "org.springframework.dao.PessimisticLockingFailureException.");
            }
            if (!Throwable.class.isAssignableFrom(type)) {
                throw new InvalidPostgresPropertyException(property, name, "the class is not an exception",
                        "Give the fully qualified name of a class that extends Throwable.");
            }
            errors = errors.withExceptions(type.asSubclass(Throwable.class));
        }
        return errors;
    }

    /**
     * What the safety monitor watches ({@code nexs.postgres.safety.*}).
     * @param properties the properties
     * @return the monitor's settings
     */
    public static SafetyMonitor.Settings safety(NexsPostgresProperties properties) {
        Safety safety = properties.getSafety();
        return new SafetyMonitor.Settings(requireSafety("interval", safety.getInterval()),
                requireSafety("long-running", safety.getLongRunning()),
                requireSafety("idle-in-transaction", safety.getIdleInTransaction()),
                requireSafety("lock-wait", safety.getLockWait()), SAFETY_QUERY_TIMEOUT);
    }

    /**
     * How long a borrowed connection may be held before it is reported as a leak
     * ({@code nexs.postgres.safety.leak-threshold}).
     * @param properties the properties
     * @return the threshold
     */
    public static Duration leakThreshold(NexsPostgresProperties properties) {
        return requireSafety("leak-threshold", properties.getSafety().getLeakThreshold());
    }

    private static Duration requireSafety(String name, @Nullable Duration value) {
        return requirePositive(SAFETY + name, value, "30s",
                ", or turn the safety monitor off with " + SAFETY + "enabled=false");
    }

    /**
     * The servers the pools open connections to and the credentials they log in with, and what start-up says about
     * where they came from.
     *
     * @param servers the servers, at least one
     * @param username the user name, or {@code null} for the driver's default
     * @param password the password, or {@code null}
     * @param notice one line for the log when they do not all come from {@code nexs.postgres.*}, or {@code null}
     */
    record Login(List<Server> servers, @Nullable String username, @Nullable String password,
            @Nullable String notice) {

        Login {
            servers = List.copyOf(servers);
        }

    }

    /**
     * Reads the servers and credentials, with what {@code spring.datasource.*} means next to the routed
     * {@code DataSource}:
     * <ul>
     * <li>connection details handed over by the application ({@code PostgresConnectionDetails} or, through a
     * {@code @ServiceConnection}, {@code JdbcConnectionDetails}) win over both {@code nexs.postgres.*} and
     * {@code spring.datasource.*}, as a service connection wins over {@code spring.datasource.url} in Spring Boot;
     * the notice names the properties that are then not used;</li>
     * <li>{@code spring.datasource.url} gives the servers when {@code nexs.postgres.*} names none, and fails when it
     * does;</li>
     * <li>{@code spring.datasource.username} and {@code password} give the credentials when the
     * {@code nexs.postgres.*} ones are not set, and fail when those are set to something else.</li>
     * </ul>
     * @param properties the bound properties
     * @param details the connection details; {@code null} or the properties' own read {@code nexs.postgres.*}
     * @param spring what the application sets under {@code spring.datasource.*}
     * @return the servers and credentials
     * @throws InvalidPostgresPropertyException when the servers or credentials are ambiguous or invalid
     */
    static Login login(NexsPostgresProperties properties, @Nullable PostgresConnectionDetails details,
            SpringDataSourceProperties spring) {
        if (details != null && !(details instanceof PropertiesPostgresConnectionDetails)) {
            List<Server> servers = PostgresServers.serversOfDetails(details);
            return new Login(servers, details.getUsername(), details.getPassword(),
                    notUsedNextToDetails(properties, details, spring));
        }
        String nodesProperty = nodesProperty(properties);
        String springUrl = StringUtils.hasText(spring.url()) ? spring.url().trim() : null;
        if (springUrl != null && nodesProperty != null) {
            throw new InvalidPostgresPropertyException(SpringDataSourceProperties.URL, PostgresServers.mask(springUrl),
                    "both " + SpringDataSourceProperties.URL + " and " + nodesProperty + " name the servers, so "
                            + "the servers nexs-postgres connects to are ambiguous",
                    "Remove one of them: keep " + nodesProperty + " and remove " + SpringDataSourceProperties.URL
                            + ", which nexs-postgres does not need, or remove " + nodesProperty
                            + " to connect to the servers of " + SpringDataSourceProperties.URL + ".");
        }
        List<String> used = new ArrayList<>();
        String username = credential(PREFIX + "username", properties.getUsername(), SpringDataSourceProperties.USERNAME,
                spring.username(), "user name", used);
        String password = credential(PREFIX + "password", properties.getPassword(), SpringDataSourceProperties.PASSWORD,
                spring.password(), "password", used);
        String logsIn = used.isEmpty() ? "" : ", logging in with " + String.join(" and ", used);
        List<String> instead = new ArrayList<>();
        used.forEach((name) -> instead.add(name.replace("spring.datasource.", PREFIX)));
        if (springUrl != null) {
            instead.add(0, PREFIX + "url");
            return new Login(PostgresServers.serversOfUrl(springUrl, SpringDataSourceProperties.URL), username,
                    password, "nexs-postgres connects to the servers of " + SpringDataSourceProperties.URL + " ("
                            + PostgresServers.mask(springUrl) + ")" + logsIn + ", as nexs.postgres.* names no "
                            + "server. Consider setting " + String.join(", ", instead) + " instead, next to the "
                            + "other nexs-postgres settings.");
        }
        List<Server> servers = PostgresServers.servers(properties);
        return new Login(servers, username, password, used.isEmpty() ? null
                : "nexs-postgres connects to the servers of " + nodesProperty + logsIn + ", as "
                        + String.join(" and ", instead) + " " + ((instead.size() == 1) ? "is" : "are")
                        + " not set. Consider setting " + String.join(" and ", instead) + " instead.");
    }

    /** The property of {@code nexs.postgres.*} that names servers, or {@code null} when none does. */
    private static @Nullable String nodesProperty(NexsPostgresProperties properties) {
        if (properties.getNodes() != null && !properties.getNodes().isEmpty()) {
            return PREFIX + "nodes";
        }
        if (StringUtils.hasText(properties.getUrl())) {
            return PREFIX + "url";
        }
        return StringUtils.hasText(properties.getHost()) ? PREFIX + "host" : null;
    }

    /**
     * One credential: the {@code nexs.postgres.*} one, or else the {@code spring.datasource.*} one (recorded in
     * {@code used}); an empty value counts as not set, as an unset environment variable often leaves one. Never
     * shows either value.
     */
    private static @Nullable String credential(String property, @Nullable String value, String springProperty,
            @Nullable String springValue, String what, List<String> used) {
        if (!StringUtils.hasLength(springValue)) {
            return value;
        }
        if (!StringUtils.hasLength(value)) {
            used.add(springProperty);
            return springValue;
        }
        if (!value.equals(springValue)) {
            throw new InvalidPostgresPropertyException(springProperty, null,
                    "both " + springProperty + " and " + property + " are set, and they differ, so the " + what
                            + " nexs-postgres logs in with is ambiguous",
                    "Remove one of them: keep " + property + " and remove " + springProperty + ", or remove "
                            + property + " to log in with " + springProperty + ".");
        }
        return value;
    }

    /** Names the properties that connection details of the application leave unused, or {@code null}. */
    private static @Nullable String notUsedNextToDetails(NexsPostgresProperties properties,
            PostgresConnectionDetails details, SpringDataSourceProperties spring) {
        List<String> notUsed = new ArrayList<>();
        String nodesProperty = nodesProperty(properties);
        if (nodesProperty != null) {
            notUsed.add(nodesProperty);
        }
        addIfSet(notUsed, PREFIX + "username", properties.getUsername());
        addIfSet(notUsed, PREFIX + "password", properties.getPassword());
        addIfSet(notUsed, SpringDataSourceProperties.URL, spring.url());
        addIfSet(notUsed, SpringDataSourceProperties.USERNAME, spring.username());
        addIfSet(notUsed, SpringDataSourceProperties.PASSWORD, spring.password());
        if (notUsed.isEmpty()) {
            return null;
        }
        String source = (details instanceof JdbcPostgresConnectionDetails jdbc) ? jdbc.source()
                : "the PostgresConnectionDetails bean (" + details.getClass().getName() + ")";
        return "nexs-postgres connects to the servers of " + source + " with its credentials; "
                + String.join(", ", notUsed) + " " + ((notUsed.size() == 1) ? "is" : "are") + " not used.";
    }

    private static void addIfSet(List<String> names, String name, @Nullable String value) {
        if (StringUtils.hasLength(value)) {
            names.add(name);
        }
    }

    /** A duration as it would be written in a property: {@code 250ms}, {@code 30s}, {@code 10m}. */
    static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        if (duration.getNano() % 1_000_000 != 0) {
            return duration.toString();
        }
        long millis = duration.toMillis();
        long[] sizes = { 86_400_000, 3_600_000, 60_000, 1000 };
        String[] units = { "d", "h", "m", "s" };
        for (int i = 0; i < sizes.length; i++) {
            if (millis % sizes[i] == 0) {
                return (millis / sizes[i]) + units[i];
            }
        }
        return millis + "ms";
    }

    /**
     * A pool setting and the property it was read from.
     *
     * @param <T> the type of the value
     * @param property the full property name
     * @param value the value
     * @param overridden whether a node's override set it
     */
    private record Setting<T>(String property, T value, boolean overridden) {

        static <T> Setting<T> of(String key, T global, @Nullable T override, String overridePrefix) {
            return (override != null) ? new Setting<>(overridePrefix + key, override, true)
                    : new Setting<>(POOL_PREFIX + key, global, false);
        }

    }

}
