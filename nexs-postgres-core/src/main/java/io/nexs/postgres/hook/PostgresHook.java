package io.nexs.postgres.hook;

import io.nexs.postgres.topology.FailoverEvent;
import io.nexs.postgres.topology.NodeStateChangedEvent;

/**
 * Code that runs around database work: every method has an empty default, so a hook implements only the
 * points it cares about, and a point no hook implements costs nothing.
 *
 * <p>Hooks are Spring beans, ordered by {@code @Order} or {@link org.springframework.core.Ordered} (lowest first
 * for every point), or are added and removed at run time through {@link HookManager}. They run on the thread
 * doing the work, which waits for them. A hook that throws, or that runs longer than
 * {@code nexs.postgres.hooks.timeout} (it is then interrupted), is logged and counted and changes nothing about
 * the operation, with one exception: a {@code before...} method may throw {@link OperationVetoedException} to
 * stop the operation, and the caller then gets that exception. The operation then ends for the hooks as a failed
 * one: hooks whose {@code before...} method already ran get their {@code after...} method, and {@code onError}
 * sees the veto as the error.
 * <pre>{@code
 * @Component
 * class SlowWrites implements PostgresHook {
 *     public void afterExec(HookContext context) {
 *         if (context.duration().compareTo(Duration.ofMillis(200)) > 0) {
 *             log.warn("{} on {} took {}", context.name(), context.node(), context.duration());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Query, exec and batch points cover the calls of {@link io.nexs.postgres.PostgresOperations}; connection and
 * transaction points also cover Spring's {@code JdbcTemplate}, {@code JdbcClient} and {@code @Transactional}
 * work on the application's data source. With retries, every attempt has its own {@code before...} and
 * {@code after...} calls ({@link HookContext#attempt()}).
 */
public interface PostgresHook {

    /**
     * A connection was borrowed from a node's pool; {@link HookContext#duration()} is how long the borrower
     * waited for it.
     * @param context the connection's node and role
     */
    default void onConnectionAcquired(HookContext context) {
    }

    /**
     * A connection went back to its node's pool; {@link HookContext#duration()} is how long it was borrowed.
     * @param context the connection's node and role
     */
    default void onConnectionReleased(HookContext context) {
    }

    /**
     * A query is about to be sent.
     * @param context the query
     */
    default void beforeQuery(HookContext context) {
    }

    /**
     * A query is over, successfully or not.
     * @param context the query, its duration, rows and error
     */
    default void afterQuery(HookContext context) {
    }

    /**
     * A statement that returns a count (insert, update, delete, DDL, a notification, a pipeline) is about to be
     * sent.
     * @param context the statement
     */
    default void beforeExec(HookContext context) {
    }

    /**
     * A statement is over, successfully or not.
     * @param context the statement, its duration, affected rows and error
     */
    default void afterExec(HookContext context) {
    }

    /**
     * A batch is about to be sent.
     * @param context the batch's statement
     */
    default void beforeBatch(HookContext context) {
    }

    /**
     * A batch is over, successfully or not.
     * @param context the batch, its duration, affected rows and error
     */
    default void afterBatch(HookContext context) {
    }

    /**
     * A bulk {@code COPY} is about to start.
     * @param context the {@code COPY} statement
     */
    default void beforeCopy(HookContext context) {
    }

    /**
     * A bulk {@code COPY} is over, successfully or not.
     * @param context the {@code COPY}, its duration, rows and error
     */
    default void afterCopy(HookContext context) {
    }

    /**
     * A transaction began. The same context is passed when it commits or rolls back.
     * @param context the transaction; its node is known once a statement ran in it
     */
    default void onTransactionBegin(HookContext context) {
    }

    /**
     * A transaction committed.
     * @param context the transaction and its duration
     */
    default void onTransactionCommit(HookContext context) {
    }

    /**
     * A transaction rolled back, on request, after a failure, or because its commit failed
     * ({@link HookContext#error()} then tells why).
     * @param context the transaction and its duration
     */
    default void onTransactionRollback(HookContext context) {
    }

    /**
     * A query, statement, batch or {@code COPY} failed; called after the matching {@code after...} method.
     * @param context the operation and its {@link HookContext#error()}
     */
    default void onError(HookContext context) {
    }

    /**
     * A node changed state or role.
     * @param event the change
     */
    default void onNodeStateChange(NodeStateChangedEvent event) {
    }

    /**
     * Writes moved to another node.
     * @param event the failover
     */
    default void onFailover(FailoverEvent event) {
    }

    /**
     * The application fired a hook point of its own through {@link HookManager#fire(String, HookContext)}.
     * @param point the point's name
     * @param context what the application put in it
     */
    default void onCustomPoint(String point, HookContext context) {
    }

}
