package io.nexs.postgres.notify;

import java.util.Objects;

/**
 * One notification as PostgreSQL delivered it.
 *
 * <p>{@link #toString()} leaves the payload out, so that logging a notification never writes application data to
 * the log.
 *
 * @param channel the channel it was sent on, exactly as the sender spelled it
 * @param payload the payload; empty when the sender gave none
 * @param senderPid the process id of the backend that sent it ({@code pg_backend_pid()} of the sending session)
 */
public record Notification(String channel, String payload, int senderPid) {

    /**
     * Checks for missing values.
     */
    public Notification {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(payload, "payload");
    }

    /**
     * The channel, the sender and the payload's length; never the payload itself.
     * @return a description without the payload
     */
    @Override
    public String toString() {
        return "Notification[channel=" + this.channel + ", senderPid=" + this.senderPid + ", payload=("
                + this.payload.length() + " chars)]";
    }

}
