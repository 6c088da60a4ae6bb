package io.nexs.postgres.notify;

import org.jspecify.annotations.Nullable;

/**
 * The rules for channel names and payloads, checked before anything reaches the server so that a mistake fails
 * with a message that states the rule rather than with a server error (or, worse, silently: PostgreSQL truncates
 * an over-long identifier in LISTEN, which would then never match {@code pg_notify}).
 */
final class ChannelNames {

    /** PostgreSQL's identifier limit, NAMEDATALEN - 1, in bytes of the server encoding. */
    static final int MAX_CHANNEL_BYTES = 63;

    /** The server rejects payloads of 8000 bytes or more (NOTIFY_PAYLOAD_MAX_LENGTH with the default page size). */
    static final int MAX_PAYLOAD_BYTES = 7999;

    /** How much of a rejected name an error message shows. */
    private static final int SHOWN_CHARS = 80;

    private ChannelNames() {
    }

    static String validateChannel(@Nullable String channel) {
        if (channel == null) {
            throw new IllegalArgumentException("The notification channel name is null; it must be a non-blank name "
                    + "of at most " + MAX_CHANNEL_BYTES + " bytes in UTF-8");
        }
        if (channel.isBlank()) {
            throw new IllegalArgumentException("The notification channel name is empty or blank; it must be a "
                    + "non-blank name of at most " + MAX_CHANNEL_BYTES + " bytes in UTF-8");
        }
        for (int i = 0; i < channel.length(); i++) {
            char c = channel.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(String.format("The notification channel name %s contains the "
                        + "control character U+%04X at index %d; channel names must not contain control characters",
                        show(channel), (int) c, i));
            }
            if (Character.isSurrogate(c) && !isPairedSurrogate(channel, i)) {
                throw new IllegalArgumentException(String.format("The notification channel name %s contains an "
                        + "unpaired surrogate at index %d; channel names must be valid Unicode", show(channel), i));
            }
        }
        int bytes = utf8Length(channel);
        if (bytes > MAX_CHANNEL_BYTES) {
            throw new IllegalArgumentException("The notification channel name " + show(channel) + " is " + bytes
                    + " bytes in UTF-8; a channel name is a PostgreSQL identifier of at most " + MAX_CHANNEL_BYTES
                    + " bytes (NAMEDATALEN - 1)");
        }
        return channel;
    }

    static String validatePayload(@Nullable String payload) {
        // The messages never show the payload: it is application data.
        if (payload == null) {
            throw new IllegalArgumentException("The notification payload is null; use an empty string to send no "
                    + "payload");
        }
        int nul = payload.indexOf('\0');
        if (nul >= 0) {
            throw new IllegalArgumentException("The notification payload contains a NUL character at index " + nul
                    + "; PostgreSQL text cannot hold NUL");
        }
        int bytes = utf8Length(payload);
        if (bytes > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("The notification payload is " + bytes + " bytes in UTF-8; "
                    + "PostgreSQL accepts fewer than " + (MAX_PAYLOAD_BYTES + 1) + " bytes. Send a key and let the "
                    + "listener read the data instead");
        }
        return payload;
    }

    /**
     * The name as a quoted identifier: always quoted so that it keeps its case and matches
     * {@code pg_notify(channel, ...)} exactly, with embedded double quotes doubled.
     */
    static String quote(String channel) {
        return '"' + channel.replace("\"", "\"\"") + '"';
    }

    /** The UTF-8 length without encoding the string; unpaired surrogates count as the '?' the encoder writes. */
    static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            }
            else if (c < 0x800) {
                bytes += 2;
            }
            else if (Character.isHighSurrogate(c) && isPairedSurrogate(text, i)) {
                bytes += 4;
                i++;
            }
            else if (Character.isSurrogate(c)) {
                bytes += 1;
            }
            else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static boolean isPairedSurrogate(String text, int index) {
        char c = text.charAt(index);
        if (Character.isHighSurrogate(c)) {
            return index + 1 < text.length() && Character.isLowSurrogate(text.charAt(index + 1));
        }
        return index > 0 && Character.isHighSurrogate(text.charAt(index - 1));
    }

    /** The name quoted for a message, control characters escaped and a long name cut short. */
    private static String show(String channel) {
        StringBuilder shown = new StringBuilder("\"");
        int end = Math.min(channel.length(), SHOWN_CHARS);
        for (int i = 0; i < end; i++) {
            char c = channel.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !isPairedSurrogate(channel, i)) {
                shown.append(String.format("\\u%04X", (int) c));
            }
            else {
                shown.append(c);
            }
        }
        if (end < channel.length()) {
            shown.append("...");
        }
        return shown.append('"').toString();
    }

}
