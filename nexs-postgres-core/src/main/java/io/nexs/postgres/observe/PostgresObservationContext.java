package io.nexs.postgres.observe;

import io.micrometer.observation.Observation;
import io.nexs.postgres.hook.HookContext;

/**
 * What an observation of a database operation sees: the operation's {@link HookContext}, complete (node, role,
 * rows, error) by the time the observation stops.
 */
public class PostgresObservationContext extends Observation.Context {

    private final HookContext operation;

    /**
     * Creates the context of an operation.
     * @param operation the operation's hook context
     */
    public PostgresObservationContext(HookContext operation) {
        this.operation = operation;
    }

    /**
     * The operation observed.
     * @return its hook context
     */
    public HookContext getOperation() {
        return this.operation;
    }

}
