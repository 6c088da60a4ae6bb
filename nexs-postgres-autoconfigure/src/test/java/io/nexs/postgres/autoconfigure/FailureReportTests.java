package io.nexs.postgres.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * What a developer sees when a real application fails to start: the analyzers are registered and their
 * report names the property and the fix, and never the password.
 */
@ExtendWith(OutputCaptureExtension.class)
class FailureReportTests {

    private static final String SECRET = "Report-S3cret";

    @Test
    void reportsAnInvalidProperty(CapturedOutput output) {
        start("--nexs.postgres.url=jdbc:postgresql://127.0.0.1:5432/app", "--nexs.postgres.pool.max-size=10",
                "--nexs.postgres.pool.min-idle=12");
        assertThat(output).contains("APPLICATION FAILED TO START", "Property: nexs.postgres.pool.min-idle",
                "Value:    \"12\"", "Lower nexs.postgres.pool.min-idle to at most 10").doesNotContain(SECRET);
    }

    @Test
    void reportsAnInvalidNodeOfTheShortFormByItsIndex(CapturedOutput output) {
        start("--nexs.postgres.nodes=db1:5432,db2:port");
        assertThat(output).contains("APPLICATION FAILED TO START", "Property: nexs.postgres.nodes[1].address",
                "Value:    \"db2:port\"", "the port 'port' is not a number", "host:port").doesNotContain(SECRET);
    }

    @Test
    void reportsAnInvalidFailoverSetting(CapturedOutput output) {
        start("--nexs.postgres.url=jdbc:postgresql://127.0.0.1:5432,127.0.0.1:5433/app",
                "--nexs.postgres.failover.health-check-interval=10ms");
        assertThat(output).contains("APPLICATION FAILED TO START", "Property: nexs.postgres.failover.probe-interval",
                "Value:    \"25ms\"", "health-check-interval is 10ms",
                "Set nexs.postgres.failover.probe-interval to at most nexs.postgres.failover.health-check-interval")
            .doesNotContain(SECRET);
    }

    @Test
    void reportsAnUnknownSslModeWithTheValidOnes(CapturedOutput output) {
        start("--nexs.postgres.url=jdbc:postgresql://127.0.0.1:5432/app", "--nexs.postgres.ssl-mode=always");
        assertThat(output).contains("APPLICATION FAILED TO START", "nexs.postgres.ssl-mode", "verify-full",
                "verify-ca").doesNotContain(SECRET);
    }

    @Test
    void reportsAnUnreachableServer(CapturedOutput output) {
        start("--nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/app?password=" + SECRET,
                "--nexs.postgres.connect-timeout=2s");
        assertThat(output).contains("APPLICATION FAILED TO START",
                "nexs-postgres could not reach PostgreSQL at 127.0.0.1:1", "nexs.postgres.pool.fail-fast=false")
            .doesNotContain(SECRET);
    }

    private static void start(String... args) {
        String[] all = new String[args.length + 1];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--nexs.postgres.password=" + SECRET;
        assertThatException().isThrownBy(() -> new SpringApplicationBuilder(Application.class)
            .web(WebApplicationType.NONE)
            .run(all));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(NexsPostgresAutoConfiguration.class)
    static class Application {

    }

}
