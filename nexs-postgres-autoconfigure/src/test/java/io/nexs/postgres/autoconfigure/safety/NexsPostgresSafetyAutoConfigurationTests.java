package io.nexs.postgres.autoconfigure.safety;

import io.nexs.postgres.autoconfigure.InvalidPostgresPropertyException;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.observe.ConnectionLeakDetector;
import io.nexs.postgres.observe.SafetyMonitor;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The safety monitor's configuration: on by default, leak detection only with a threshold, off on request, and a
 * bad duration named at start-up.
 */
@ExtendWith(PostgresExtension.class)
class NexsPostgresSafetyAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresSafetyAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2", "nexs.postgres.pool.min-idle=1");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void runsByDefaultWithoutLeakDetection() {
        this.contextRunner.run((context) -> assertThat(context).hasSingleBean(SafetyMonitor.class)
            .doesNotHaveBean(ConnectionLeakDetector.class));
    }

    @Test
    void detectsLeaksWhenAThresholdIsSet() {
        this.contextRunner.withPropertyValues("nexs.postgres.safety.leak-threshold=20s")
            .run((context) -> assertThat(context).hasSingleBean(ConnectionLeakDetector.class)
                .hasSingleBean(SafetyMonitor.class));
    }

    @Test
    void canBeTurnedOff() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.safety.enabled=false", "nexs.postgres.safety.leak-threshold=20s")
            .run((context) -> assertThat(context).doesNotHaveBean(SafetyMonitor.class)
                .doesNotHaveBean(ConnectionLeakDetector.class));
    }

    @Test
    void aZeroIntervalIsNamedAtStartUp() {
        this.contextRunner.withPropertyValues("nexs.postgres.safety.interval=0s")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .isInstanceOfSatisfying(InvalidPostgresPropertyException.class,
                        (ex) -> assertThat(ex.getProperty()).isEqualTo("nexs.postgres.safety.interval")));
    }

}
