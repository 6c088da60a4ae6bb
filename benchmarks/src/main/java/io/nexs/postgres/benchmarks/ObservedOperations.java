package io.nexs.postgres.benchmarks;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

import brave.Tracing;
import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.TraceContext;
import brave.sampler.Sampler;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.tracing.brave.bridge.BraveBaggageManager;
import io.micrometer.tracing.brave.bridge.BraveCurrentTraceContext;
import io.micrometer.tracing.brave.bridge.BraveTracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.nexs.postgres.observe.DefaultPostgresObservationConvention;
import io.nexs.postgres.observe.ObservingHook;
import io.nexs.postgres.observe.PostgresMeterObservationHandler;
import org.jspecify.annotations.Nullable;

/**
 * What an application with Spring Boot's metrics and tracing gives nexs-postgres's observations: a Prometheus
 * registry with the duration buckets the auto-configuration sets, the meter handlers, and a Brave tracer sampling
 * as Spring Boot does by default ({@code management.tracing.sampling.probability=0.1}); ended spans are counted
 * and dropped, as a reporter would send them elsewhere.
 */
final class ObservedOperations implements AutoCloseable {

    /** Spring Boot's default share of traces sampled. */
    static final float SAMPLING_PROBABILITY = 0.1f;

    final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    final ObservationRegistry observations = ObservationRegistry.create();

    final LongAdder spans = new LongAdder();

    private final Tracing tracing;

    ObservedOperations() {
        double[] slo = { ms(1), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500),
                ms(5000), ms(10000) };
        this.meters.config().meterFilter(new MeterFilter() {
            @Override
            public @Nullable DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return DefaultPostgresObservationConvention.NAME.equals(id.getName())
                        ? DistributionStatisticConfig.builder().serviceLevelObjectives(slo).build().merge(config)
                        : config;
            }
        });
        this.meters.config()
            .meterFilter(MeterFilter.deny((id) -> id.getName().equals(DefaultPostgresObservationConvention.NAME + ".active")));
        this.tracing = Tracing.newBuilder().sampler(Sampler.create(SAMPLING_PROBABILITY)).addSpanHandler(new SpanHandler() {
            @Override
            public boolean end(TraceContext context, MutableSpan span, Cause cause) {
                ObservedOperations.this.spans.increment();
                return true;
            }
        }).build();
        BraveTracer tracer = new BraveTracer(this.tracing.tracer(),
                new BraveCurrentTraceContext(this.tracing.currentTraceContext()), new BraveBaggageManager());
        // as Spring Boot registers them: tracing first, then the meter handlers, of which the first that supports
        // an observation handles it
        this.observations.observationConfig()
            .observationHandler(new DefaultTracingObservationHandler(tracer))
            .observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                    new PostgresMeterObservationHandler(this.meters), new DefaultMeterObservationHandler(this.meters)));
    }

    ObservingHook hook(String database) {
        return new ObservingHook(this.observations, null,
                new DefaultPostgresObservationConvention(database, false, false, (node) -> null));
    }

    private static double ms(long millis) {
        return Duration.ofMillis(millis).toNanos();
    }

    @Override
    public void close() {
        this.tracing.close();
        this.meters.close();
    }

}
