package io.nexs.postgres.tx;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import io.nexs.postgres.error.OutcomeUnknownException;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.hook.OperationVetoedException;
import io.nexs.postgres.topology.FailoverInProgressException;
import org.jspecify.annotations.Nullable;

/**
 * The one table that says which failures are worth another attempt: SQLSTATEs (whole codes, or two-character
 * classes) and exception types, looked for anywhere in the cause chain. Immutable; {@code with...} methods
 * return an extended copy.
 *
 * <p>The defaults: connection failures (class {@code 08}), serialization failure ({@code 40001}), deadlock
 * ({@code 40P01}), server shutdown and crash recovery ({@code 57P01}, {@code 57P02}, {@code 57P03}), too many
 * connections ({@code 53300}), {@link FailoverInProgressException}, and a pool that had no connection in time
 * ({@link SQLTransientConnectionException}, as HikariCP throws). Everything else fails at once.
 * {@link OutcomeUnknownException} (a lost write or commit, {@link CommitOutcomeUnknownException} among them) and
 * {@link OperationVetoedException} are never transient, whatever their causes.
 *
 * <p>The server's time limits are left out on purpose. A statement cancelled by {@code statement_timeout}
 * ({@code 57014}) or that gave up waiting for a lock under {@code lock_timeout} ({@code 55P03}) took no effect:
 * under auto-commit the statement is rolled back, and in a transaction the whole transaction is aborted and rolls
 * back. Spring's types say so ({@code QueryTimeoutException}, {@code CannotAcquireLockException}, both transient),
 * so an application may retry them. But the same work under the same limit usually runs into it again, while
 * adding load to a server that is already slow, so they are not retried here unless listed. A session ended by
 * {@code idle_in_transaction_session_timeout} ({@code 25P03}) rolled its transaction back too; it means the
 * application held a transaction open doing nothing, which another attempt would repeat, and it stays
 * non-transient.
 * <pre>{@code
 * // also retry lock timeouts
 * TransientErrors errors = TransientErrors.defaults().withSqlStates("55P03");
 * }</pre>
 */
public final class TransientErrors {

    private static final Pattern SQL_STATE = Pattern.compile("[0-9A-Z]{2}|[0-9A-Z]{5}");

    private static final int MAX_DEPTH = 32;

    private static final TransientErrors DEFAULTS = new TransientErrors(
            List.of("08", "40001", "40P01", "57P01", "57P02", "57P03", "53300"),
            List.of(FailoverInProgressException.class, SQLTransientConnectionException.class));

    private static final List<Class<? extends Throwable>> NEVER = List.of(OutcomeUnknownException.class,
            OperationVetoedException.class);

    private final Set<String> sqlStates;

    private final Set<Class<? extends Throwable>> exceptionTypes;

    private TransientErrors(Collection<String> sqlStates, Collection<Class<? extends Throwable>> exceptionTypes) {
        this.sqlStates = Set.copyOf(new LinkedHashSet<>(sqlStates));
        this.exceptionTypes = Set.copyOf(new LinkedHashSet<>(exceptionTypes));
    }

    /**
     * The default table.
     * @return the defaults
     */
    public static TransientErrors defaults() {
        return DEFAULTS;
    }

    /**
     * A copy that also treats these SQLSTATEs as transient.
     * @param sqlStates five-character codes such as {@code 55P03}, or two-character classes such as {@code 08}
     * @return the copy
     * @throws IllegalArgumentException when a code is neither
     */
    public TransientErrors withSqlStates(String... sqlStates) {
        Set<String> states = new LinkedHashSet<>(this.sqlStates);
        for (String state : sqlStates) {
            states.add(requireSqlState(state));
        }
        return new TransientErrors(states, this.exceptionTypes);
    }

    /**
     * A copy that also treats these exception types, and their subclasses, as transient.
     * @param types the exception types
     * @return the copy
     */
    @SafeVarargs
    public final TransientErrors withExceptions(Class<? extends Throwable>... types) {
        Set<Class<? extends Throwable>> all = new LinkedHashSet<>(this.exceptionTypes);
        for (Class<? extends Throwable> type : types) {
            all.add(Objects.requireNonNull(type, "type"));
        }
        return new TransientErrors(this.sqlStates, all);
    }

    /**
     * Checks a SQLSTATE as {@link #withSqlStates} accepts it.
     * @param sqlState the code or class
     * @return the code
     * @throws IllegalArgumentException when it is neither a five-character code nor a two-character class
     */
    public static String requireSqlState(@Nullable String sqlState) {
        if (sqlState == null || !SQL_STATE.matcher(sqlState).matches()) {
            throw new IllegalArgumentException("'" + sqlState + "' is not a SQLSTATE: expected five characters "
                    + "such as 40001, or a two-character class such as 08 (digits and upper-case letters)");
        }
        return sqlState;
    }

    /**
     * The SQLSTATEs and classes in the table.
     * @return the codes
     */
    public Set<String> sqlStates() {
        return this.sqlStates;
    }

    /**
     * The exception types in the table.
     * @return the types
     */
    public Set<Class<? extends Throwable>> exceptionTypes() {
        return this.exceptionTypes;
    }

    /**
     * Whether a failure is worth another attempt: an exception of a listed type, or a {@link SQLException}
     * with a listed SQLSTATE, anywhere in the cause chain before any exception that is never transient.
     * @param failure the failure
     * @return whether it is transient
     */
    public boolean isTransient(@Nullable Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            for (Class<? extends Throwable> never : NEVER) {
                if (never.isInstance(current)) {
                    return false;
                }
            }
            for (Class<? extends Throwable> type : this.exceptionTypes) {
                if (type.isInstance(current)) {
                    return true;
                }
            }
            if (current instanceof SQLException sql && (matches(sql.getSQLState())
                    || (sql.getNextException() != null && matches(sql.getNextException().getSQLState())))) {
                return true;
            }
            Throwable cause = current.getCause();
            current = (cause != current) ? cause : null;
        }
        return false;
    }

    /**
     * Whether a SQLSTATE is in the table, as a code or through its class.
     * @param sqlState the SQLSTATE
     * @return whether it is transient
     */
    public boolean matches(@Nullable String sqlState) {
        return sqlState != null && sqlState.length() == 5
                && (this.sqlStates.contains(sqlState) || this.sqlStates.contains(sqlState.substring(0, 2)));
    }

    /**
     * Whether a failure means the connection to the server was lost, so the server may or may not have done
     * what was last sent: a failover in progress, or a SQLSTATE {@link SqlStates#isConnectionLoss} accepts.
     * @param failure the failure
     * @return whether the connection was lost
     */
    public static boolean isConnectionLoss(@Nullable Throwable failure) {
        if (failure instanceof FailoverInProgressException) {
            return true;
        }
        return SqlStates.isConnectionLoss(SqlStates.of(failure));
    }

    @Override
    public String toString() {
        return "TransientErrors[sqlStates=" + this.sqlStates + ", exceptions="
                + this.exceptionTypes.stream().map(Class::getName).toList() + "]";
    }

}
