package io.nexs.postgres.topology;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of one check of a node.
 *
 * @param ok whether the server answered in time
 * @param role the role it reported
 * @param timeline its timeline
 * @param lsn for a primary its current WAL position, for a replica its replay position; -1 when unknown
 * @param roundTripNanos how long the query took
 * @param serverVersion the server's version
 * @param error why the check failed
 */
record NodeCheck(boolean ok, NodeRole role, long timeline, long lsn, long roundTripNanos, @Nullable String serverVersion, @Nullable String error) {

    static NodeCheck failed(String error) {
        return new NodeCheck(false, NodeRole.UNKNOWN, 0, -1, 0, null, error);
    }

    /**
     * Parses a {@code pg_lsn} in its text form, {@code 16/B374D848}.
     * @param text the text, or {@code null}
     * @return the position, or -1
     */
    static long parseLsn(@Nullable String text) {
        if (text == null) {
            return -1;
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return -1;
        }
        try {
            return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
        }
        catch (NumberFormatException ex) {
            return -1;
        }
    }

    /**
     * The timeline in a WAL file name: its first eight hexadecimal digits.
     * @param walFileName for example {@code 000000020000000000000003}, or {@code null}
     * @return the timeline, or 0
     */
    static long timelineOfWalFile(@Nullable String walFileName) {
        if (walFileName == null || walFileName.length() < 8) {
            return 0;
        }
        try {
            return Long.parseLong(walFileName.substring(0, 8), 16);
        }
        catch (NumberFormatException ex) {
            return 0;
        }
    }

}
