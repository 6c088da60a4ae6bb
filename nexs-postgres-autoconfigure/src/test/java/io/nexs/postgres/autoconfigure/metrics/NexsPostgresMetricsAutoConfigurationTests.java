package io.nexs.postgres.autoconfigure.metrics;

import java.sql.Connection;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.observe.PoolMetrics;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

@ExtendWith(PostgresExtension.class)
class NexsPostgresMetricsAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresMetricsAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=4", "nexs.postgres.pool.min-idle=2");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void bindsPoolGaugesTaggedWithTheNodeToTheApplicationsRegistry() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                String name = provider.primary().name();
                try (Connection borrowed = provider.primary().dataSource().getConnection()) {
                    assertThat(gauge(registry, "db.connections.active", name)).isEqualTo(1);
                    assertThat(gauge(registry, "db.connections.max", name)).isEqualTo(4);
                    assertThat(gauge(registry, "db.connections.pending", name)).isZero();
                    assertThat(gauge(registry, "db.connections.idle", name)).isGreaterThanOrEqualTo(1);
                }
                assertThat(gauge(registry, "db.connections.active", name)).isZero();
            });
    }

    @Test
    void needsAMeterRegistry() {
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(PoolMetrics.class));
    }

    @Test
    void backsOffWhenTheUserDefinesPoolMetrics() {
        this.contextRunner.withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new)
            .withBean("myPoolMetrics", PoolMetrics.class,
                    () -> new PoolMetrics(mock(PostgresProvider.class)))
            .run((context) -> assertThat(context).getBean(PoolMetrics.class)
                .isSameAs(context.getBean("myPoolMetrics")));
    }

    @Test
    void backsOffWithoutMicrometer() {
        this.contextRunner.withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new).withClassLoader(new FilteredClassLoader(MeterBinder.class))
            .run((context) -> assertThat(context).doesNotHaveBean(PoolMetrics.class));
    }

    @Test
    void backsOffWithoutAProvider() {
        this.contextRunner.withPropertyValues("nexs.postgres.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(PoolMetrics.class));
    }

    private static double gauge(MeterRegistry registry, String name, String node) {
        return registry.get(name).tag("node", node).gauge().value();
    }

}
