package io.nexs.postgres.topology;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of one check of a node.
 *
 * @param ok whether the server answered in time
 * @param role the role it reported
 * @param timeline its timeline; for a replica the one it follows, 0 when that cannot be told
 * @param lsn for a primary its current WAL position, for a replica its replay position; -1 when unknown
 * @param roundTripNanos how long the query took
 * @param serverVersion the server's version
 * @param error why the check failed
 * @param replayedCommitMicros for a replica, the commit time of the last transaction it replayed
 * ({@code pg_last_xact_replay_timestamp()}, the primary's clock) in microseconds since the epoch; {@link #NO_TIME}
 * when it has replayed none since it started
 * @param clockMicros the server's clock during the check ({@code clock_timestamp()}) in microseconds since the
 * epoch; {@link #NO_TIME} when unknown
 */
record NodeCheck(boolean ok, NodeRole role, long timeline, long lsn, long roundTripNanos, @Nullable String serverVersion,
        @Nullable String error, long replayedCommitMicros, long clockMicros) {

    /** A time the server did not report. */
    static final long NO_TIME = Long.MIN_VALUE;

    static NodeCheck failed(String error) {
        return new NodeCheck(false, NodeRole.UNKNOWN, 0, -1, 0, null, error, NO_TIME, NO_TIME);
    }

    /**
     * The timeline a replica follows. The last restartpoint's timeline lags behind a replica that was pointed at a
     * newly promoted primary until its next restartpoint (minutes), so the timeline of the WAL its receiver
     * streams wins when the server shows it; a replica that streams but hides that (a user without
     * {@code pg_read_all_stats}) cannot be told.
     * @param checkpointTimeline the timeline of its last restartpoint, 0 when not readable
     * @param receivedTimeline the timeline of the WAL its receiver last received, 0 when not shown or not
     * streaming
     * @param receiving whether a WAL receiver runs
     * @return the timeline, 0 when it cannot be told
     */
    static long replicaTimeline(long checkpointTimeline, long receivedTimeline, boolean receiving) {
        if (receivedTimeline > 0) {
            return Math.max(checkpointTimeline, receivedTimeline);
        }
        return receiving ? 0 : checkpointTimeline;
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
