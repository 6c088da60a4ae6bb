package io.nexs.postgres.autoconfigure;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every bad configuration fails start-up before any connection is tried, with a report that names the property
 * and the fix, and never shows the password.
 */
class InvalidConfigurationTests {

    private static final String SECRET = "Pa55-w0rd-never-shown";

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.password=" + SECRET);

    static Stream<Arguments> badConfigurations() {
        String url = "nexs.postgres.url=jdbc:postgresql://127.0.0.1:5432/app";
        return Stream.of(
                arguments("no url nor host", new String[] {}, "nexs.postgres.url", "Set nexs.postgres.url"),
                arguments("blank host", new String[] { "nexs.postgres.host= " }, "nexs.postgres.host",
                        "Set nexs.postgres.host"),
                arguments("url and host", new String[] { url, "nexs.postgres.host=db" }, "nexs.postgres.host",
                        "Remove nexs.postgres.host"),
                arguments("not a PostgreSQL url", new String[] { "nexs.postgres.url=jdbc:mysql://db:3306/app" },
                        "nexs.postgres.url", "jdbc:postgresql://host:5432/database"),
                arguments("unparsable url",
                        new String[] { "nexs.postgres.url=jdbc:postgresql://db:port/app?password=" + SECRET },
                        "nexs.postgres.url", "numeric port"),
                arguments("targetServerType in the url",
                        new String[] { "nexs.postgres.url=jdbc:postgresql://a:5432,b:5432/app?targetServerType=primary"
                                + "&password=" + SECRET },
                        "nexs.postgres.url", "Remove the targetServerType parameter"),
                arguments("loadBalanceHosts in the url",
                        new String[] { "nexs.postgres.url=jdbc:postgresql://a:5432/app?loadBalanceHosts=true" },
                        "nexs.postgres.url", "Remove the loadBalanceHosts parameter"),
                arguments("hostRecheckSeconds in the url",
                        new String[] { "nexs.postgres.url=jdbc:postgresql://a,b/app?hostRecheckSeconds=5" },
                        "nexs.postgres.url", "Remove the hostRecheckSeconds parameter"),
                arguments("one host twice in the url",
                        new String[] { "nexs.postgres.url=jdbc:postgresql://a:5432,b,A/app" }, "nexs.postgres.url",
                        "List each server once"),
                arguments("nodes and url", new String[] { url, "nexs.postgres.nodes=db1:5432,db2:5432" },
                        "nexs.postgres.url", "or remove nexs.postgres.nodes"),
                arguments("nodes and host", new String[] { "nexs.postgres.host=db", "nexs.postgres.nodes=db1,db2" },
                        "nexs.postgres.host", "or remove nexs.postgres.nodes"),
                arguments("unparsable port of a node", new String[] { "nexs.postgres.nodes=db1:5432,db2:54x2" },
                        "nexs.postgres.nodes[1].address", "host:port"),
                arguments("port of a node out of range", new String[] { "nexs.postgres.nodes=db1:70000" },
                        "nexs.postgres.nodes[0].address", "host:port"),
                arguments("IPv6 node without brackets", new String[] { "nexs.postgres.nodes[0].address=::1" },
                        "nexs.postgres.nodes[0].address", "[::1]:5432"),
                arguments("URL as a node's address",
                        new String[] { "nexs.postgres.nodes[0]=jdbc:postgresql://db/app?password=" + SECRET },
                        "nexs.postgres.nodes[0].address", "host:port"),
                arguments("node without address",
                        new String[] { "nexs.postgres.nodes[0].address=db1", "nexs.postgres.nodes[1].weight=2" },
                        "nexs.postgres.nodes[1].address", "host:port"),
                arguments("one server twice in the nodes", new String[] { "nexs.postgres.nodes=db1,DB1:5432" },
                        "nexs.postgres.nodes[1].address", "List each server once"),
                arguments("duplicate node names",
                        new String[] { "nexs.postgres.nodes[0].address=db1", "nexs.postgres.nodes[0].name=main",
                                "nexs.postgres.nodes[1].address=db2", "nexs.postgres.nodes[1].name=main" },
                        "nexs.postgres.nodes[1].name", "nexs.postgres.nodes[1].name"),
                arguments("node named like the cluster's health component",
                        new String[] { "nexs.postgres.nodes[0].address=db1", "nexs.postgres.nodes[0].name=cluster" },
                        "nexs.postgres.nodes[0].name", "leave it out"),
                arguments("zero weight",
                        new String[] { "nexs.postgres.nodes[0].address=db1", "nexs.postgres.nodes[0].weight=0" },
                        "nexs.postgres.nodes[0].weight", "1 or more"),
                arguments("zero max size of a node",
                        new String[] { "nexs.postgres.nodes[0]=db1", "nexs.postgres.nodes[1].address=db2",
                                "nexs.postgres.nodes[1].pool.max-size=0" },
                        "nexs.postgres.nodes[1].pool.max-size", "1 or more"),
                arguments("short max lifetime of a node",
                        new String[] { "nexs.postgres.nodes[0].address=db1",
                                "nexs.postgres.nodes[0].pool.max-lifetime=5s" },
                        "nexs.postgres.nodes[0].pool.max-lifetime", "30s or more"),
                arguments("negative min idle of a node",
                        new String[] { "nexs.postgres.nodes[0].address=db1",
                                "nexs.postgres.nodes[0].pool.min-idle=-1" },
                        "nexs.postgres.nodes[0].pool.min-idle", "0 or more"),
                arguments("node max size below the global min idle",
                        new String[] { "nexs.postgres.nodes[0].address=db1", "nexs.postgres.pool.min-idle=5",
                                "nexs.postgres.nodes[0].pool.max-size=3" },
                        "nexs.postgres.pool.min-idle", "raise nexs.postgres.nodes[0].pool.max-size"),
                arguments("node connection timeout below the validation timeout",
                        new String[] { "nexs.postgres.nodes[0].address=db1",
                                "nexs.postgres.nodes[0].pool.connection-timeout=2s" },
                        "nexs.postgres.pool.validation-timeout",
                        "below nexs.postgres.nodes[0].pool.connection-timeout"),
                arguments("negative max lag", new String[] { url, "nexs.postgres.replicas.max-lag=-1s" },
                        "nexs.postgres.replicas.max-lag", "no limit"),
                arguments("negative latency window",
                        new String[] { url, "nexs.postgres.replicas.latency-window=-5ms" },
                        "nexs.postgres.replicas.latency-window", "positive duration"),
                arguments("negative read-your-writes wait",
                        new String[] { url, "nexs.postgres.replicas.read-your-writes-wait=-1ms" },
                        "nexs.postgres.replicas.read-your-writes-wait", "such as 200ms"),
                arguments("negative read-your-writes window",
                        new String[] { url, "nexs.postgres.replicas.read-your-writes-window=-1s" },
                        "nexs.postgres.replicas.read-your-writes-window", "such as 5s"),
                arguments("consistency header that is not a header name",
                        new String[] { url, "nexs.postgres.replicas.consistency-header=Consistency Token" },
                        "nexs.postgres.replicas.consistency-header", "such as Nexs-Consistency-Token"),
                arguments("zero health check interval",
                        new String[] { url, "nexs.postgres.failover.health-check-interval=0s" },
                        "nexs.postgres.failover.health-check-interval", "positive duration"),
                arguments("negative health check timeout",
                        new String[] { url, "nexs.postgres.failover.health-check-timeout=-1s" },
                        "nexs.postgres.failover.health-check-timeout", "positive duration"),
                arguments("health check timeout below 100ms",
                        new String[] { url, "nexs.postgres.failover.health-check-timeout=50ms" },
                        "nexs.postgres.failover.health-check-timeout", "100ms or more"),
                arguments("zero failure threshold",
                        new String[] { url, "nexs.postgres.failover.failure-threshold=0" },
                        "nexs.postgres.failover.failure-threshold", "1 or more"),
                arguments("negative write wait timeout",
                        new String[] { url, "nexs.postgres.failover.write-wait-timeout=-1s" },
                        "nexs.postgres.failover.write-wait-timeout", "positive duration"),
                arguments("zero probe interval", new String[] { url, "nexs.postgres.failover.probe-interval=0ms" },
                        "nexs.postgres.failover.probe-interval", "positive duration"),
                arguments("probe interval above the health check interval",
                        new String[] { url, "nexs.postgres.failover.probe-interval=2s" },
                        "nexs.postgres.failover.probe-interval",
                        "at most nexs.postgres.failover.health-check-interval"),
                arguments("port out of range", new String[] { "nexs.postgres.host=db", "nexs.postgres.port=70000" },
                        "nexs.postgres.port", "5432"),
                arguments("blank database", new String[] { "nexs.postgres.host=db", "nexs.postgres.database= " },
                        "nexs.postgres.database", "nexs.postgres.database"),
                arguments("negative connect timeout", new String[] { url, "nexs.postgres.connect-timeout=-1s" },
                        "nexs.postgres.connect-timeout", "positive duration"),
                arguments("negative statement timeout", new String[] { url, "nexs.postgres.statement-timeout=-5s" },
                        "nexs.postgres.statement-timeout", "to 0 to turn the limit off"),
                arguments("negative lock timeout", new String[] { url, "nexs.postgres.lock-timeout=-1ms" },
                        "nexs.postgres.lock-timeout", "keep the server's setting"),
                arguments("negative idle in transaction timeout",
                        new String[] { url, "nexs.postgres.idle-in-transaction-session-timeout=-1m" },
                        "nexs.postgres.idle-in-transaction-session-timeout", "positive duration"),
                arguments("statement timeout beyond the server's range",
                        new String[] { url, "nexs.postgres.statement-timeout=30d" }, "nexs.postgres.statement-timeout",
                        "shorter duration"),
                arguments("socket timeout not above the statement timeout",
                        new String[] { url, "nexs.postgres.statement-timeout=30s", "nexs.postgres.socket-timeout=30s" },
                        "nexs.postgres.socket-timeout", "well above nexs.postgres.statement-timeout"),
                arguments("negative retry timeout", new String[] { url, "nexs.postgres.retry.timeout=-1s" },
                        "nexs.postgres.retry.timeout", "zero or a positive duration such as 30s"),
                arguments("missing certificate file",
                        new String[] { url, "nexs.postgres.ssl-root-cert=/no/such/root.crt" },
                        "nexs.postgres.ssl-root-cert", "readable file"),
                arguments("zero max size", new String[] { url, "nexs.postgres.pool.max-size=0" },
                        "nexs.postgres.pool.max-size", "1 or more"),
                arguments("negative min idle", new String[] { url, "nexs.postgres.pool.min-idle=-1" },
                        "nexs.postgres.pool.min-idle", "0 or more"),
                arguments("min idle above max size",
                        new String[] { url, "nexs.postgres.pool.min-idle=12", "nexs.postgres.pool.max-size=10" },
                        "nexs.postgres.pool.min-idle", "at most 10"),
                arguments("tiny connection timeout", new String[] { url, "nexs.postgres.pool.connection-timeout=10ms" },
                        "nexs.postgres.pool.connection-timeout", "250ms or more"),
                arguments("validation timeout above connection timeout",
                        new String[] { url, "nexs.postgres.pool.validation-timeout=40s" },
                        "nexs.postgres.pool.validation-timeout", "below nexs.postgres.pool.connection-timeout"),
                arguments("short max lifetime", new String[] { url, "nexs.postgres.pool.max-lifetime=5s" },
                        "nexs.postgres.pool.max-lifetime", "30s or more"),
                arguments("keepalive beyond max lifetime",
                        new String[] { url, "nexs.postgres.pool.keepalive-time=40m" },
                        "nexs.postgres.pool.keepalive-time", "below nexs.postgres.pool.max-lifetime"),
                arguments("short leak detection threshold",
                        new String[] { url, "nexs.postgres.pool.leak-detection-threshold=500ms" },
                        "nexs.postgres.pool.leak-detection-threshold", "2s or more"),
                arguments("negative shutdown timeout", new String[] { url, "nexs.postgres.pool.shutdown-timeout=-5s" },
                        "nexs.postgres.pool.shutdown-timeout", "positive duration"),
                arguments("zero fetch size", new String[] { url, "nexs.postgres.query.fetch-size=0" },
                        "nexs.postgres.query.fetch-size", "positive number of rows"),
                arguments("negative idle timeout", new String[] { url, "nexs.postgres.pool.idle-timeout=-1m" },
                        "nexs.postgres.pool.idle-timeout", "positive duration"),
                arguments("parallel atomic copy", new String[] { url, "nexs.postgres.copy.parallelism=4" },
                        "nexs.postgres.copy.parallelism", "nexs.postgres.copy.mode=per-chunk"),
                arguments("too parallel copy", new String[] { url, "nexs.postgres.copy.mode=per-chunk",
                    "nexs.postgres.copy.parallelism=100" }, "nexs.postgres.copy.parallelism", "between 1 and 64"),
                arguments("empty copy chunk", new String[] { url, "nexs.postgres.copy.chunk-rows=0" },
                        "nexs.postgres.copy.chunk-rows", "positive number of rows"),
                arguments("settled auto-commit writes without the commit check",
                        new String[] { url, "nexs.postgres.retry.settle-auto-commit-writes=true",
                                "nexs.postgres.retry.verify-commit=false" },
                        "nexs.postgres.retry.settle-auto-commit-writes", "nexs.postgres.retry.verify-commit=true"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigurations")
    void failsStartUpNamingThePropertyAndTheFix(String caseName, String[] properties, String property,
            String fix) {
        this.contextRunner.withPropertyValues(properties).run((context) -> {
            assertThat(context).hasFailed();
            InvalidPostgresPropertyException failure = NexsPostgresAutoConfigurationTests
                .findCause(context.getStartupFailure(), InvalidPostgresPropertyException.class);
            assertThat(failure.getProperty()).isEqualTo(property);
            FailureAnalysis analysis = new InvalidPostgresPropertyFailureAnalyzer()
                .analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).contains("Property: " + property).doesNotContain(SECRET);
            assertThat(analysis.getAction()).contains(fix).doesNotContain(SECRET);
            assertThat(failure.getMessage()).doesNotContain(SECRET);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("urls")
    void masksPasswordsInUrls(String url, String masked) {
        assertThat(PostgresServers.mask(url)).isEqualTo(masked);
    }

    static Stream<Arguments> urls() {
        return Stream.of(arguments("jdbc:postgresql://db/app", "jdbc:postgresql://db/app"),
                arguments("jdbc:postgresql://db/app?user=a&password=s3cret&ssl=true",
                        "jdbc:postgresql://db/app?user=a&password=******&ssl=true"),
                arguments("jdbc:postgresql://a:s3cret@db/app", "jdbc:postgresql://******@db/app"));
    }

}
