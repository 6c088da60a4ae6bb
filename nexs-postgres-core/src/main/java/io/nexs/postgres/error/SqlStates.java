package io.nexs.postgres.error;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Finds the SQLSTATE behind an exception that Spring, HikariCP or nexs-postgres may have wrapped, and holds the
 * one rule for telling a lost connection by its SQLSTATE.
 */
public final class SqlStates {

    /** Guards against cause chains that loop. */
    private static final int MAX_DEPTH = 32;

    private SqlStates() {
    }

    /**
     * Whether a SQLSTATE says the session is gone, so the server may or may not have done what was last sent:
     * class {@code 08} (connection exception) or any code of group {@code 57P}. PostgreSQL raises every
     * {@code 57P} code as {@code FATAL} and ends the backend: shutdown or terminated ({@code 57P01}), crash
     * ({@code 57P02}), not accepting connections yet ({@code 57P03}), database dropped ({@code 57P04}) and
     * idle session timeout ({@code 57P05}) all close the connection alike, so naming only the first three would
     * treat a closed session as a live one.
     * @param sqlState the SQLSTATE, or {@code null}
     * @return whether the connection was lost
     */
    public static boolean isConnectionLoss(@Nullable String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P"));
    }

    /**
     * The first SQLSTATE in the cause chain, looking at each {@link SQLException}'s next exceptions too.
     * @param failure the exception
     * @return the SQLSTATE, or {@code null} when no exception in the chain has one
     */
    public static @Nullable String of(@Nullable Throwable failure) {
        Map<Throwable, Boolean> seen = null;
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof SQLException sql) {
                if (sql.getSQLState() != null) {
                    return sql.getSQLState();
                }
                SQLException next = sql.getNextException();
                if (next != null && next.getSQLState() != null) {
                    return next.getSQLState();
                }
            }
            Throwable cause = current.getCause();
            if (cause == current) {
                return null;
            }
            if (seen == null) {
                seen = new IdentityHashMap<>();
            }
            if (seen.put(current, Boolean.TRUE) != null) {
                return null;
            }
            current = cause;
        }
        return null;
    }

}
