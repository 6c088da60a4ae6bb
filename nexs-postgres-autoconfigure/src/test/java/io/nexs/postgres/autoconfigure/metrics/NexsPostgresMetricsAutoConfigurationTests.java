package io.nexs.postgres.autoconfigure.metrics;

import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.observe.ObservingHook;
import io.nexs.postgres.observe.PoolMetrics;
import io.nexs.postgres.observe.PostgresMetrics;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.BadSqlGrammarException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
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
    void registersEveryCounterAndNodeGaugeAtZeroBeforeAnyWork() {
        this.contextRunner.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                String name = context.getBean(PostgresProvider.class).primary().name();
                for (String counter : List.of("db.retries", "db.failovers", "db.hook.failures", "db.copy.rows",
                        "db.copy.bytes", "db.connection.leaks")) {
                    assertThat(registry.find(counter).meters()).as(counter)
                        .singleElement()
                        .satisfies((found) -> assertThat(found.measure().iterator().next().getValue()).isZero());
                }
                assertThat(registry.get("db.errors").tags("operation", "exec", "sqlstate_class", "08").counter().count())
                    .isZero();
                assertThat(registry.get("db.errors").counters()).hasSize(10);
                assertThat(registry.get("db.transactions").counters()).extracting((found) -> found.getId().getTag("outcome"))
                    .containsExactlyInAnyOrder("committed", "rolled_back", "failed");
                assertThat(registry.get("db.copy.buffer").gauge().value()).isZero();
                assertThat(registry.get("db.copy.buffer").gauge().getId().getBaseUnit()).isEqualTo("bytes");
                assertThat(gauge(registry, "db.node.up", name)).isOne();
                assertThat(gauge(registry, "db.node.primary", name)).isOne();
                assertThat(gauge(registry, "db.replica.lag", name)).isZero();
                assertThat(registry.get("db.replica.lag").gauge().getId().getBaseUnit()).isEqualTo("seconds");
            });
    }

    @Test
    void timesEveryOperationWithTheConfiguredBucketsAndCountsErrorsAndTransactions() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    ObservationAutoConfiguration.class, NexsPostgresObservationAutoConfiguration.class))
            .withPropertyValues("nexs.postgres.metrics.slo=5ms,1s", "nexs.postgres.metrics.query-tag=true")
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                String name = provider.primary().name();
                PostgresOperations postgres = context.getBean(PostgresOperations.class);
                postgres.queryCount("/* name: one */ select 1");
                postgres.inTransaction((status) -> postgres.exec("create temporary table t (id int)"));
                assertThatExceptionOfType(BadSqlGrammarException.class)
                    .isThrownBy(() -> postgres.exec("select * from no_such_table"));

                Timer query = registry.get("db.query.duration")
                    .tags("operation", "query", "node", name, "role", "primary", "outcome", "success", "query", "one")
                    .timer();
                assertThat(query.count()).isOne();
                assertThat(query.takeSnapshot().histogramCounts()).extracting(CountAtBucket::bucket)
                    .containsExactly((double) TimeUnit.MILLISECONDS.toNanos(5), (double) TimeUnit.SECONDS.toNanos(1));
                assertThat(registry.get("db.query.duration")
                    .tags("operation", "transaction", "node", name, "outcome", "success", "query", "unnamed")
                    .timer()
                    .count()).isOne();
                assertThat(registry.get("db.query.duration")
                    .tags("operation", "exec", "outcome", "error", "error", "BadSqlGrammarException")
                    .timer()
                    .count()).isOne();
                assertThat(registry.find("db.query.duration.active").meters()).isEmpty();
                assertThat(registry.get("db.errors").tags("operation", "exec", "sqlstate_class", "42").counter().count())
                    .isOne();
                assertThat(registry.get("db.transactions").tag("outcome", "committed").counter().count()).isOne();
            });
    }

    @Test
    void copyCountsRowsAndBytesAndGivesItsBufferBack() {
        this.contextRunner.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                PostgresOperations postgres = context.getBean(PostgresOperations.class);
                List<Object[]> rows = List.of(new Object[] { 1, "one" }, new Object[] { 2, "two" },
                        new Object[] { 3, null });
                List<Double> buffered = new java.util.concurrent.CopyOnWriteArrayList<>();
                // first of the afterCopy hooks, so it sees the gauge before the metrics take the buffer back
                context.getBean(io.nexs.postgres.hook.HookManager.class)
                    .register(new io.nexs.postgres.hook.PostgresHook() {
                        @Override
                        public void afterCopy(io.nexs.postgres.hook.HookContext copy) {
                            buffered.add(registry.get("db.copy.buffer").gauge().value());
                        }
                    }, Integer.MIN_VALUE);
                postgres.inTransaction((status) -> {
                    postgres.exec("create temporary table copied_in_tx (id int, label text)");
                    postgres.copy().into("copied_in_tx").columns("id", "label")
                            .options(io.nexs.postgres.copy.CopyOptions.defaults()).rows(rows);
                    return null;
                });
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                postgres.copy().out("select * from generate_series(1, 10)")
                        .to(out, io.nexs.postgres.copy.CopyFormat.csv());
                assertThat(registry.get("db.copy.rows").counter().count()).isEqualTo(13);
                // a binary COPY of three rows: a 19-byte header, 2 + 8 + 7 bytes per row but the last (2 + 8 + 4),
                // a 2-byte trailer; then 21 bytes of CSV out
                assertThat(registry.get("db.copy.bytes").counter().count()).isEqualTo(19 + 17 + 17 + 14 + 2 + 21);
                assertThat(registry.get("db.copy.buffer").gauge().value()).isZero();
                assertThat(buffered).hasSize(2);
                assertThat(buffered.get(0)).as("the load's buffer while it ran").isGreaterThan(256 * 1024);
                assertThat(buffered.get(1)).as("a COPY out buffers nothing of its own").isZero();
            });
    }

    @Test
    void metricsAndObservationsCanBeSwitchedOff() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    ObservationAutoConfiguration.class, NexsPostgresObservationAutoConfiguration.class))
            .withPropertyValues("nexs.postgres.metrics.enabled=false", "nexs.postgres.metrics.observations=false")
            .run((context) -> {
                assertThat(context).doesNotHaveBean(PoolMetrics.class)
                    .doesNotHaveBean(PostgresMetrics.class)
                    .doesNotHaveBean(ObservingHook.class);
                context.getBean(PostgresOperations.class).queryCount("select 1");
                assertThat(context.getBean(MeterRegistry.class).find("db.query.duration").meters()).isEmpty();
            });
    }

    @Test
    void withMetricsOffObservationsStillRunButRecordNoTimer() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    ObservationAutoConfiguration.class, NexsPostgresObservationAutoConfiguration.class))
            .withPropertyValues("nexs.postgres.metrics.enabled=false")
            .run((context) -> {
                assertThat(context).hasSingleBean(ObservingHook.class).doesNotHaveBean(PostgresMetrics.class);
                context.getBean(PostgresOperations.class).queryCount("select 1");
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(registry.find("db.query.duration").meters()).isEmpty();
                assertThat(registry.find("db.query.duration.active").meters()).isEmpty();
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
    void backsOffWhenTheUserDefinesTheProvidersMeterBinder() {
        this.contextRunner.withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new)
            .withBean("myPostgresMetrics", PostgresMetrics.class,
                    () -> new PostgresMetrics(mock(PostgresProvider.class)))
            .run((context) -> {
                assertThat(context).getBean(PostgresMetrics.class).isSameAs(context.getBean("myPostgresMetrics"));
                assertThat(context).hasSingleBean(PoolMetrics.class);
            });
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
