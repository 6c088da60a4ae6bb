package io.nexs.postgres.observe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.MeterObservationHandler;
import io.micrometer.observation.Observation;

/**
 * Records the observations of database operations in the {@code db.query.duration} timer, with the tags Micrometer's
 * {@code DefaultMeterObservationHandler} gives them (the low-cardinality key values and {@code error}), at a
 * fraction of its cost: the duration is the one the operation measured anyway, the timer of each tag set is looked
 * up once, and no long-task timer is kept. Spring Boot puts meter handlers in one group where the first that
 * supports an observation handles it; this one comes first and supports only {@link PostgresObservationContext}.
 */
public class PostgresMeterObservationHandler implements MeterObservationHandler<PostgresObservationContext> {

    private static final Tag NO_ERROR = Tag.of("error", "none");

    private final MeterRegistry registry;

    private final Map<KeyValues, Timer> timers = new ConcurrentHashMap<>();

    /**
     * Creates the handler.
     * @param registry the registry timers are registered in
     */
    public PostgresMeterObservationHandler(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof PostgresObservationContext;
    }

    @Override
    public void onStop(PostgresObservationContext context) {
        KeyValues keyValues = context.getLowCardinalityKeyValues();
        Throwable error = context.getError();
        Timer timer;
        if (error == null) {
            timer = this.timers.get(keyValues);
            if (timer == null) {
                timer = timer(context, keyValues, NO_ERROR);
                if (this.timers.size() < 10_000) {
                    this.timers.put(keyValues, timer);
                }
            }
        }
        else {
            timer = timer(context, keyValues, Tag.of("error", error.getClass().getSimpleName()));
        }
        timer.record(context.getOperation().durationNanos(), TimeUnit.NANOSECONDS);
    }

    private Timer timer(PostgresObservationContext context, KeyValues keyValues, Tag error) {
        Tags tags = Tags.of(error);
        for (KeyValue keyValue : keyValues) {
            tags = tags.and(keyValue.getKey(), keyValue.getValue());
        }
        return Timer.builder(context.getName())
            .description("Time of database operations: queries, statements, batches, COPY and transactions")
            .tags(tags)
            .register(this.registry);
    }

}
