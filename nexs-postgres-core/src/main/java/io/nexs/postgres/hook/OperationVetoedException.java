package io.nexs.postgres.hook;

import org.springframework.dao.NonTransientDataAccessException;

/**
 * Thrown by a {@link PostgresHook} {@code before...} method to stop an operation on purpose, for example a write
 * during a maintenance window or a query an access rule forbids. Unlike any other exception a hook throws, it
 * reaches the caller unchanged; the operation is not sent to the server and is never retried.
 * <pre>{@code
 * public void beforeExec(HookContext context) {
 *     if (readOnlyMode.isOn()) {
 *         throw new OperationVetoedException("The application is in read-only mode");
 *     }
 * }
 * }</pre>
 */
public class OperationVetoedException extends NonTransientDataAccessException {

    /**
     * Creates the exception.
     * @param reason why the operation was stopped; shown to the caller, so it must not quote data
     */
    public OperationVetoedException(String reason) {
        super(reason);
    }

}
