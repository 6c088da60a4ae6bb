package io.nexs.postgres.notify;

/**
 * Receives the notifications of a channel. Called on the delivery thread of its
 * {@link NotificationListenerContainer}, one notification at a time and in the order PostgreSQL sent them; a
 * listener that blocks delays every other listener of the container, so hand long work to an executor.
 */
@FunctionalInterface
public interface NotificationListener {

    /**
     * Handles one notification. An exception is logged (with the channel name, never the payload) and delivery
     * goes on with the next listener.
     * @param notification the notification
     */
    void onNotification(Notification notification);

    /**
     * Called when LISTEN on the channel took effect later than {@code listen} returned: after the connection was
     * lost and listening resumed, or when the connection could not be opened when the listener was registered.
     * Notifications sent in the meantime were not delivered and cannot be recovered, so an application that
     * must not miss a change re-reads the state it keeps in step here. Does nothing by default.
     * @param channel the channel that is listened to again
     */
    default void onResubscribed(String channel) {
    }

}
