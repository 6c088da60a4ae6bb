package io.nexs.postgres;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Collection;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator;
import org.springframework.jdbc.support.SQLExceptionTranslator;

/**
 * Turns driver exceptions into Spring {@link DataAccessException}s by SQLSTATE, the way {@code JdbcTemplate}
 * does for PostgreSQL, after taking bound parameter values out of the server's message.
 *
 * <p>PostgreSQL quotes the offending input in some messages ({@code invalid input syntax for type integer:
 * "abc"}); the value may be a password or a customer's data, so it must not reach logs through an exception.
 * The server's {@code Detail} line, which quotes key values, is already left out of messages by the driver
 * property {@code logServerErrorDetail=false} that nexs-postgres sets.
 */
final class SqlErrors {

    /** Shorter values are too common as substrings of ordinary words to be told apart from them. */
    private static final int MIN_UNQUOTED_LENGTH = 4;

    private static final String REDACTED = "?";

    private final SQLExceptionTranslator translator = new SQLErrorCodeSQLExceptionTranslator("PostgreSQL");

    /**
     * Translates a failure of a statement.
     * @param task what was being done, for the message ("queryAll", "batch")
     * @param sql the SQL sent to the server
     * @param ex the driver's exception
     * @param values the bound parameter values, to be kept out of the message
     * @return the Spring exception, carrying the SQLSTATE of the server's error
     */
    DataAccessException translate(String task, @Nullable String sql, SQLException ex,
            @Nullable Object @Nullable [] values) {
        SQLException cause = ex;
        String prefix = "";
        if (ex instanceof BatchUpdateException batch && batch.getNextException() != null) {
            // The batch exception's own message quotes the whole statement with its values inlined; the next
            // exception is the server's error for the failing entry.
            cause = batch.getNextException();
            prefix = "Batch entry " + batch.getUpdateCounts().length + " failed: ";
        }
        SQLException safe = redact(cause, prefix, values);
        DataAccessException translated = this.translator.translate(task, sql, safe);
        return (translated != null) ? translated : new UncategorizedSQLException(task, sql, safe);
    }

    private static SQLException redact(SQLException ex, String prefix, @Nullable Object @Nullable [] values) {
        String message = String.valueOf(ex.getMessage());
        String redacted = redact(message, values);
        if (prefix.isEmpty() && redacted.equals(message)) {
            return ex;
        }
        // A copy without the original as cause: the original's message (and its cause chain) still quote the
        // value. The SQLSTATE, which is all the translation and retry decisions need, is kept.
        SQLException copy = new SQLException(prefix + redacted, ex.getSQLState(), ex.getErrorCode());
        copy.setStackTrace(ex.getStackTrace());
        return copy;
    }

    static String redact(String message, @Nullable Object @Nullable [] values) {
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
