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
                arguments("several hosts in the url",
                        new String[] { "nexs.postgres.url=jdbc:postgresql://a:5432,b:5432/app" }, "nexs.postgres.url",
                        "single host"),
                arguments("port out of range", new String[] { "nexs.postgres.host=db", "nexs.postgres.port=70000" },
                        "nexs.postgres.port", "5432"),
                arguments("blank database", new String[] { "nexs.postgres.host=db", "nexs.postgres.database= " },
                        "nexs.postgres.database", "nexs.postgres.database"),
                arguments("negative connect timeout", new String[] { url, "nexs.postgres.connect-timeout=-1s" },
                        "nexs.postgres.connect-timeout", "positive duration"),
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
                        "nexs.postgres.pool.idle-timeout", "positive duration"));
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
        assertThat(ResolvedSettings.mask(url)).isEqualTo(masked);
    }

    static Stream<Arguments> urls() {
        return Stream.of(arguments("jdbc:postgresql://db/app", "jdbc:postgresql://db/app"),
                arguments("jdbc:postgresql://db/app?user=a&password=s3cret&ssl=true",
                        "jdbc:postgresql://db/app?user=a&password=******&ssl=true"),
                arguments("jdbc:postgresql://a:s3cret@db/app", "jdbc:postgresql://******@db/app"));
    }

}
