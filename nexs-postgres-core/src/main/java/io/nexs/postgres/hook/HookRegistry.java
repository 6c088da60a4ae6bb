package io.nexs.postgres.hook;

import java.util.List;

/**
 * The hooks an application's operations call, which can be added and removed while it runs.
 * <pre>{@code
 * provider.hooks().register(new AuditHook());
 * }</pre>
 */
public interface HookRegistry {

    /**
     * Adds a hook, placed among the others by its order ({@code @Order}, {@link org.springframework.core.Ordered},
     * or last). Adding a hook twice has no effect.
     * @param hook the hook
     */
    void register(PostgresHook hook);

    /**
     * Adds a hook at an order given by the caller rather than by the hook's class. Adding a hook twice has no
     * effect.
     * @param hook the hook
     * @param order its place among the others, lowest first; hooks of equal order run in the order they were
     * registered in
     */
    void register(PostgresHook hook, int order);

    /**
     * Removes a hook.
     * @param hook the hook
     * @return whether it was registered
     */
    boolean unregister(PostgresHook hook);

    /**
     * The registered hooks, in the order they run.
     * @return an immutable copy
     */
    List<PostgresHook> hooks();

    /**
     * How many hook calls failed: threw, or ran past the timeout.
     * @return the count since start-up
     */
    long failureCount();

    /**
     * How many of the failures were hooks that ran past the timeout.
     * @return the count since start-up
     */
    long timeoutCount();

}
