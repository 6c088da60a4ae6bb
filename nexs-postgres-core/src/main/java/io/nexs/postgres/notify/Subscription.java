package io.nexs.postgres.notify;

/**
 * The registration of one listener on one channel, returned by
 * {@link NotificationListenerContainer#listen(String, NotificationListener)}.
 */
public interface Subscription extends AutoCloseable {

    /**
     * The channel listened to.
     * @return the channel name
     */
    String channel();

    /**
     * Removes the listener; when it was the channel's last one, the container issues UNLISTEN. Idempotent, and
     * a no-op once the container is closed. A notification already being delivered when this is called on another
     * thread may still reach the listener.
     */
    @Override
    void close();

}
