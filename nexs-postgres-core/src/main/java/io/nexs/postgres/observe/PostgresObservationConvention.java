package io.nexs.postgres.observe;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the observations of database operations; declare a bean to replace
 * {@link DefaultPostgresObservationConvention}, or extend it.
 */
public interface PostgresObservationConvention extends ObservationConvention<PostgresObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof PostgresObservationContext;
    }

}
