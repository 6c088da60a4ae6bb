package io.nexs.postgres.pool;

/**
 * Told when a {@link NodePool} lends a connection and gets it back, on the thread that borrows or returns it.
 * Called for every borrow, so implementations must be quick and must not throw.
 */
public interface PoolListener {

    /**
     * A connection was borrowed.
     * @param pool the pool
     * @param waitNanos how long the borrower waited
     */
    default void acquired(NodePool pool, long waitNanos) {
    }

    /**
     * A connection came back.
     * @param pool the pool
     * @param heldMillis how long it was borrowed
     */
    default void released(NodePool pool, long heldMillis) {
    }

}
