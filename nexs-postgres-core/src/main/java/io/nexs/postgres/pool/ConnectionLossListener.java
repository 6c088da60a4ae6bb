package io.nexs.postgres.pool;

/**
 * Told when a {@link NodePool} hears that its server is gone or out of reach: a connection of the pool failed, or a
 * new one could not be opened, with a SQLSTATE that says the connection was lost
 * ({@link io.nexs.postgres.error.SqlStates#isConnectionLoss(String)}). Failures the application sees through the
 * pool's connections, their statements and result sets are heard by the pool itself; other paths report theirs
 * with {@link NodePool#reportFailure(java.sql.SQLException)}.
 *
 * <p>Called on the thread that saw the failure, usually the borrower's, once or more per failure, so an
 * implementation must be quick, must not block and must not throw.
 */
@FunctionalInterface
public interface ConnectionLossListener {

    /**
     * The pool lost a connection, or could not open one.
     * @param pool the pool
     */
    void connectionLost(NodePool pool);

}
