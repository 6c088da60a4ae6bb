package com.example.observability;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.test.PostgresCluster;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proves the observability shape: with Prometheus and the OpenTelemetry bridge the application starts,
 * {@code /actuator/prometheus} has nexs-postgres's query histogram and pool gauges, a {@code @Transactional}
 * write is a transaction span with its statement's span inside, reads run on the standby, and the application
 * leaves no session behind when it stops. Spans go to an in-memory exporter; nothing is sent over the network.
 *
 * <p>The context is closed after the class ({@code @DirtiesContext}) and the cluster after that: JUnit closes
 * {@code @AutoClose} fields after the Spring extension's own after-all work.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class ObservabilityApplicationTests {

    private static final AttributeKey<String> DB_SYSTEM_NAME = AttributeKey.stringKey("db.system.name");

    @AutoClose
    static PostgresCluster cluster;

    @LocalServerPort
    private int port;

    @Autowired
    private NoteService notes;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private InMemorySpanExporter spans;

    @Autowired
    private SdkTracerProvider tracerProvider;

    @BeforeAll
    static void startCluster() {
        cluster = TestDatabase.start();
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, cluster);
    }

    @Test
    void prometheusHasTheQueryHistogramAndThePoolGauges() {
        long id = this.notes.add("measured");
        assertThat(this.notes.find(id)).isPresent();
        String scrape = RestClient.create("http://127.0.0.1:" + this.port)
            .get()
            .uri("/actuator/prometheus")
            .retrieve()
            .body(String.class);
        assertThat(scrape).containsPattern("(?m)^db_query_duration_seconds_count\\{.*operation=\"query\".*\\} \\d+")
            .containsPattern("(?m)^db_query_duration_seconds_bucket\\{.*\\} \\d+")
            .containsPattern("(?m)^db_connections_active\\{.*node=\"" + cluster.primary().host() + ":"
                    + cluster.primary().port() + "\".*\\} \\d");
    }

    @Test
    void transactionalWriteIsATransactionSpanWithItsStatementInside() {
        this.spans.reset();
        this.notes.add("traced");
        assertThat(this.tracerProvider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        List<SpanData> database = this.spans.getFinishedSpanItems()
            .stream()
            .filter((span) -> "postgresql".equals(span.getAttributes().get(DB_SYSTEM_NAME)))
            .toList();
        SpanData insert = database.stream()
            .filter((span) -> span.getName().startsWith("INSERT"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no INSERT span among " + names(database)));
        SpanData transaction = database.stream()
            .filter((span) -> span.getSpanId().equals(insert.getParentSpanId()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no parent span of " + insert.getName() + " among "
                    + names(database)));
        assertThat(transaction.getTraceId()).isEqualTo(insert.getTraceId());
        assertThat(transaction.getName()).containsIgnoringCase("transaction");
    }

    @Test
    void readOnlyTransactionRunsOnTheStandbyAndSeesTheWrite() {
        long id = this.notes.add("read on the standby");
        TransactionTemplate readOnly = new TransactionTemplate(this.transactionManager);
        readOnly.setReadOnly(true);
        readOnly.executeWithoutResult((status) -> {
            assertThat(this.jdbc.sql("select pg_is_in_recovery()").query(Boolean.class).single()).isTrue();
            assertThat(this.notes.find(id)).hasValue(new Note(id, "read on the standby"));
        });
    }

    @Test
    void closingTheApplicationEndsEverySessionItOpened() throws Exception {
        String applicationName = "observability-shutdown-check";
        try (ConfigurableApplicationContext application = new SpringApplicationBuilder(ObservabilityApplication.class)
            .properties("server.port=0")
            .run(TestDatabase.arguments(cluster, applicationName))) {
            long id = application.getBean(NoteService.class).add("written before shutdown");
            assertThat(application.getBean(NoteService.class).find(id)).isPresent();
            assertThat(TestDatabase.sessions(cluster, applicationName)).isPositive();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(TestDatabase.sessions(cluster, applicationName)).isZero());
    }

    private static List<String> names(List<SpanData> spans) {
        return spans.stream().map(SpanData::getName).toList();
    }

    /** Spans kept in memory, next to (here: instead of) an exporter that would send them to a collector. */
    @TestConfiguration(proxyBeanMethods = false)
    static class InMemoryTracing {

        @Bean
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }

    }

}
