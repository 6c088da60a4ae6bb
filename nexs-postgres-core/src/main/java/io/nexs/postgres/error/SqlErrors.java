package io.nexs.postgres.error;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Arrays;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator;
import org.springframework.jdbc.support.SQLExceptionTranslator;

/**
 * Turns driver exceptions into Spring {@link DataAccessException}s by SQLSTATE, the way {@code JdbcTemplate}
 * does for PostgreSQL, after taking bound parameter values out of the server's message.
 *
 * <p>The driver's message may quote data: the server's {@code Detail} line ({@code Key (email)=(...) already
 * exists}, {@code Failing row contains (...)}) unless PgJDBC's {@code logServerErrorDetail} is off, and the
 * offending input in some primary messages ({@code invalid input syntax for type integer: "abc"}). The value may
 * be a password or a customer's data, so the translated exception carries a copy of the driver's exception
 * whose message is only the server's severity, primary message and constraint, with bound values replaced by
 * {@code ?}; the driver's exception itself is not kept. The SQLSTATE, which translation and retry decisions use,
 * is kept. A {@link SQLException} caused by an {@link OutcomeUnknownException} (a commit whose outcome nobody can
 * tell) translates to that exception itself.
 */
public final class SqlErrors {

    /** Shorter values are too common as substrings of ordinary words to be told apart from them. */
    private static final int MIN_UNQUOTED_LENGTH = 4;

    private static final String REDACTED = "?";

    private static final Pattern BATCH_ENTRY = Pattern.compile("Batch entry (\\d+) ");

    /** The server's context line of a COPY error: {@code COPY orders, line 7, column total: "..."}. */
    private static final Pattern COPY_CONTEXT = Pattern.compile("COPY .*?, line (\\d+)(?:, column ([^:]+?))?(?::.*)?$");

    /** From the first quote to the last: the server does not escape a quote inside the value it quotes. */
    private static final Pattern QUOTED = Pattern.compile("\".*\"", Pattern.DOTALL);

    /** The bytes an encoding error prints: {@code 0xe9 0x74}. */
    private static final Pattern BYTES = Pattern.compile("0x\\p{XDigit}{2}(?: 0x\\p{XDigit}{2})*");

    private final SQLExceptionTranslator translator = new SQLErrorCodeSQLExceptionTranslator("PostgreSQL");

    /**
     * Translates a failure of a statement.
     * @param task what was being done, for the message ("queryAll", "batch")
     * @param sql the SQL sent to the server
     * @param ex the driver's exception
     * @param values the bound parameter values, to be kept out of the message
     * @return the Spring exception, carrying the SQLSTATE of the server's error
     */
    public DataAccessException translate(String task, @Nullable String sql, SQLException ex,
            @Nullable Object @Nullable [] values) {
        if (ex.getCause() instanceof OutcomeUnknownException outcome) {
            // a connection that settles its commits reports an unknown outcome in JDBC's terms: it is the answer
            return outcome;
        }
        SQLException cause = ex;
        String prefix = "";
        if (ex instanceof BatchUpdateException batch) {
            // The batch exception's own message quotes the statement with its values inlined; the next
            // exception is the server's error for the failing entry.
            if (batch.getNextException() != null) {
                cause = batch.getNextException();
            }
            prefix = failedEntry(batch, sql);
        }
        return translateSafe(task, sql, safeCopy(cause, prefix, values));
    }

    private DataAccessException translateSafe(String task, @Nullable String sql, SQLException safe) {
        DataAccessException translated = this.translator.translate(task, sql, safe);
        return (translated != null) ? translated : new UncategorizedSQLException(task, sql, safe);
    }

    /**
     * Translates a failure of a {@code COPY}, naming the row and column the server's context gives: the server
     * counts the lines of one {@code COPY} statement, so {@code firstRow} shifts them to the source's numbering.
     * Quoted text in a data exception's message is input (a CSV field the server could not read), and is replaced
     * by {@code ?}.
     * @param task what was being done
     * @param sql the {@code COPY} statement
     * @param ex the driver's exception
     * @param firstRow the number of the statement's first row in the source, from 1
     * @param lines whether the server's numbers are lines of text input, header included, rather than rows
     * @return the Spring exception
     */
    public DataAccessException translateCopy(String task, String sql, SQLException ex, long firstRow, boolean lines) {
        String prefix = "";
        ServerErrorMessage server = (ex instanceof PSQLException psql) ? psql.getServerErrorMessage() : null;
        String where = (server != null) ? server.getWhere() : null;
        if (where != null) {
            for (String line : where.split("\n")) {
                Matcher context = COPY_CONTEXT.matcher(line);
                if (context.lookingAt()) {
                    long number = Long.parseLong(context.group(1));
                    prefix = (lines ? "Line " + number : "Row " + (firstRow - 1 + number))
                            + ((context.group(2) != null) ? ", column " + context.group(2) : "") + ": ";
                    break;
                }
            }
        }
        SQLException safe = safeCopy(ex, prefix, null);
        String state = ex.getSQLState();
        if (state != null && state.startsWith("22")) {
            String message = QUOTED.matcher(String.valueOf(safe.getMessage())).replaceAll("\"?\"");
            SQLException redacted = new SQLException(BYTES.matcher(message).replaceAll("?"), safe.getSQLState(),
                    safe.getErrorCode());
            redacted.setStackTrace(safe.getStackTrace());
            safe = redacted;
        }
        return translateSafe(task, sql, safe);
    }

    private static String failedEntry(BatchUpdateException batch, @Nullable String sql) {
        // PgJDBC names the failing entry (counted from 0) at the start of its message; the update counts cannot
        // tell, since with auto-commit the entries before it are rolled back and reported as failed too.
        Matcher entry = BATCH_ENTRY.matcher(String.valueOf(batch.getMessage()));
        boolean insert = sql != null && sql.stripLeading().regionMatches(true, 0, "insert", 0, 6);
        if (entry.lookingAt() && !insert) {
            return "Batch entry " + (Long.parseLong(entry.group(1)) + 1) + " failed: ";
        }
        // Inserts may have been rewritten into multi-row statements, whose numbers are not the caller's entries.
        return "Batch failed: ";
    }

    private static SQLException safeCopy(SQLException ex, String prefix, @Nullable Object @Nullable [] values) {
        String message;
        ServerErrorMessage server = (ex instanceof PSQLException psql) ? psql.getServerErrorMessage() : null;
        if (server != null && server.getMessage() != null) {
            StringBuilder text = new StringBuilder();
            if (server.getSeverity() != null) {
                text.append(server.getSeverity()).append(": ");
            }
            text.append(server.getMessage());
            if (server.getConstraint() != null) {
                text.append(" (constraint ").append(server.getConstraint()).append(')');
            }
            message = text.toString();
        }
        else {
            message = String.valueOf(ex.getMessage());
        }
        // A copy without the original as cause: the original's message and cause chain may quote the values.
        // A pool that had no connection in time keeps its type: retries and Spring's translation go by it.
        SQLException copy = (ex instanceof SQLTransientConnectionException)
                ? new SQLTransientConnectionException(prefix + redact(message, values), ex.getSQLState(),
                        ex.getErrorCode())
                : new SQLException(prefix + redact(message, values), ex.getSQLState(), ex.getErrorCode());
        copy.setStackTrace(ex.getStackTrace());
        return copy;
    }

    public static String redact(String message, @Nullable Object @Nullable [] values) {
        if (values == null) {
            return message;
        }
        String result = message;
        for (Object value : values) {
            result = redactValue(result, value);
        }
        return result;
    }

    private static String redactValue(String message, @Nullable Object value) {
        Object plain = (value instanceof SqlParameterValue parameter) ? parameter.getValue() : value;
        if (plain == null) {
            return message;
        }
        if (plain instanceof Collection<?> collection) {
            String result = message;
            for (Object element : collection) {
                result = redactValue(result, element);
            }
            return result;
        }
        if (plain instanceof Object[] array) {
            return redact(message, array);
        }
        String text = (plain instanceof byte[] bytes) ? Arrays.toString(bytes) : plain.toString();
        if (text.isEmpty()) {
            return message;
        }
        String result = message.replace('"' + text + '"', '"' + REDACTED + '"');
        if (text.length() >= MIN_UNQUOTED_LENGTH) {
            result = result.replace(text, REDACTED);
        }
        return result;
    }

}
