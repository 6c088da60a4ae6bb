package io.nexs.postgres.observe;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.PostgresHook;
import org.jspecify.annotations.Nullable;

/**
 * Makes every query, statement, batch, {@code COPY} and transaction a Micrometer {@link Observation}: with Spring
 * Boot's metrics a sample of {@code db.query.duration}, with its tracing a span. A transaction's observation is
 * the current one while it runs, so the spans of its statements are its children.
 */
public class ObservingHook implements PostgresHook {

    private static final String OBSERVATION = ObservingHook.class.getName() + ".observation";

    private static final String SCOPE = ObservingHook.class.getName() + ".scope";

    private final ObservationRegistry registry;

    private final @Nullable PostgresObservationConvention convention;

    private final PostgresObservationConvention defaultConvention;

    /**
     * Creates the hook.
     * @param registry the registry observations are made in
     * @param convention a convention replacing the default one, or {@code null}
     * @param defaultConvention the default convention
     */
    public ObservingHook(ObservationRegistry registry, @Nullable PostgresObservationConvention convention,
            PostgresObservationConvention defaultConvention) {
        this.registry = registry;
        this.convention = convention;
        this.defaultConvention = defaultConvention;
    }

    @Override
    public void beforeQuery(HookContext context) {
        start(context);
    }

    @Override
    public void afterQuery(HookContext context) {
        stop(context);
    }

    @Override
    public void beforeExec(HookContext context) {
        start(context);
    }

    @Override
    public void afterExec(HookContext context) {
        stop(context);
    }

    @Override
    public void beforeBatch(HookContext context) {
        start(context);
    }

    @Override
    public void afterBatch(HookContext context) {
        stop(context);
    }

    @Override
    public void beforeCopy(HookContext context) {
        start(context);
    }

    @Override
    public void afterCopy(HookContext context) {
        stop(context);
    }

    @Override
    public void onTransactionBegin(HookContext context) {
        Observation observation = start(context);
        if (observation != null) {
            context.attributes().put(SCOPE, observation.openScope());
        }
    }

    @Override
    public void onTransactionCommit(HookContext context) {
        endTransaction(context);
    }

    @Override
    public void onTransactionRollback(HookContext context) {
        endTransaction(context);
    }

    private void endTransaction(HookContext context) {
        if (context.attribute(SCOPE) instanceof Observation.Scope scope) {
            scope.close();
        }
        stop(context);
    }

    private @Nullable Observation start(HookContext context) {
        Observation observation = PostgresObservationDocumentation.OPERATION.observation(this.convention,
                this.defaultConvention, () -> new PostgresObservationContext(context), this.registry);
        if (observation.isNoop()) {
            return null;
        }
        observation.start();
        context.attributes().put(OBSERVATION, observation);
        return observation;
    }

    private static void stop(HookContext context) {
        if (context.attribute(OBSERVATION) instanceof Observation observation) {
            Throwable error = context.error();
            if (error != null) {
                observation.error(error);
            }
            observation.stop();
        }
    }

    @Override
    public String toString() {
        return "ObservingHook";
    }

}
