package io.nexs.postgres.notify;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens the dedicated connection a {@link NotificationListenerContainer} listens on; typically
 * {@code nodePool::openConnection} of the primary.
 *
 * <p>Each call must return a new PgJDBC connection outside any pool: LISTEN belongs to the session, so a pooled
 * connection would carry it to other borrowers, and the pool could close it under the listener. The source should
 * bound the login (PgJDBC's {@code loginTimeout} or {@code socketTimeout}), because a reconnect attempt against a
 * server that accepts TCP but never answers otherwise blocks the delivery thread until the server wakes up.
 */
@FunctionalInterface
public interface ConnectionSource {

    /**
     * Opens a new connection; the container closes it.
     * @return the new connection
     * @throws SQLException when the server cannot be reached or refuses the login
     */
    Connection open() throws SQLException;

    /**
     * Told that a connection this source opened was lost, before the container closes it, so that the source can
     * pass the news on: a source opening the primary's connections tells that node's pool
     * ({@code NodePool.reportFailure}), and the topology checks the node at once rather than at its next turn.
     * Called on the delivery thread or a caller of listen; it must be quick and must not throw. Does nothing by
     * default.
     * @param connection the connection, not yet closed by the container
     * @param failure what its use threw
     */
    default void failed(Connection connection, SQLException failure) {
    }

}
