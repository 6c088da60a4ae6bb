package io.nexs.postgres.query;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Finds the SQLSTATE behind an exception that Spring, HikariCP or nexs-postgres may have wrapped.
 */
public final class SqlStates {

    /** Guards against cause chains that loop. */
    private static final int MAX_DEPTH = 32;

    private SqlStates() {
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
