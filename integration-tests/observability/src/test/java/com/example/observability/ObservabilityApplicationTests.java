package com.example.observability;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.example.checks.ApplicationShapeTests;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the observability shape: with Prometheus and the OpenTelemetry bridge the application starts,
 * {@code /actuator/prometheus} has nexs-postgres's query histogram and pool gauges, a {@code @Transactional}
 * write is a transaction span with its statement's span inside, writes run on the primary and reads on the standby,
 * and the application leaves no session behind when it stops (the last three are the checks of
 * {@link ApplicationShapeTests}). Spans go to an in-memory exporter; nothing is sent over the network.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ObservabilityApplicationTests extends ApplicationShapeTests {

    private static final AttributeKey<String> DB_SYSTEM_NAME = AttributeKey.stringKey("db.system.name");

    @LocalServerPort
    private int port;

    @Autowired
    private NoteService notes;

    @Autowired
    private InMemorySpanExporter spans;

    @Autowired
    private SdkTracerProvider tracerProvider;

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
            .containsPattern("(?m)^db_connections_active\\{.*node=\"" + cluster().primary().host() + ":"
                    + cluster().primary().port() + "\".*\\} \\d");
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

    @Override
    protected long addNote(ApplicationContext context, String text) {
        return context.getBean(NoteService.class).add(text);
    }

    @Override
    protected Optional<NoteRow> findNote(ApplicationContext context, long id) {
        return context.getBean(NoteService.class).find(id).map((note) -> new NoteRow(note.id(), note.text()));
    }

    @Override
    protected SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(ObservabilityApplication.class).properties("server.port=0");
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
