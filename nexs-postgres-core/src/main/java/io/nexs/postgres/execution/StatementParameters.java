package io.nexs.postgres.execution;

import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.nexs.postgres.query.NamedParameters;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeanUtils;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.core.StatementCreatorUtils;
import org.springframework.jdbc.core.namedparam.NamedParameterUtils;
import org.springframework.jdbc.core.namedparam.ParsedSql;
import org.springframework.jdbc.core.namedparam.SqlParameterSource;

/**
 * A statement's SQL as sent to the server and its values in order: positional arguments as given, or named
 * parameters resolved against their source. Also binds values the way PostgreSQL expects them. Internal: the
 * execution path and the pipeline build these.
 *
 * @param sql the SQL with {@code ?} placeholders
 * @param values the values, one per placeholder
 */
public record StatementParameters(String sql, @Nullable Object[] values) {

    private static final int PARSED_CACHE_LIMIT = 512;

    private static final Map<String, ParsedSql> parsedCache = new ConcurrentHashMap<>();

    private static final @Nullable Object[] NONE = {};

    /**
     * Resolves the arguments of a call: a single {@link NamedParameters} makes the SQL be read for {@code :name}
     * parameters; anything else is positional.
     * @param sql the SQL as the caller wrote it
     * @param args the caller's arguments
     * @return the SQL to send and its values
     */
    public static StatementParameters of(String sql, @Nullable Object @Nullable [] args) {
        if (args == null) {
            return new StatementParameters(sql, NONE);
        }
        if (args.length == 1 && args[0] instanceof NamedParameters named) {
            return named(sql, named.source());
        }
        if (args.length == 1 && (args[0] instanceof Map<?, ?> || args[0] instanceof SqlParameterSource)) {
            throw new IllegalArgumentException("A " + args[0].getClass().getSimpleName() + " was passed as the "
                    + "only positional parameter; for :name parameters wrap it: NamedParameters.of(map)");
        }
        return new StatementParameters(sql, args);
    }

    /**
     * Resolves one parameter set of a batch: an {@code Object[]} is positional, a {@link NamedParameters}, a
     * {@code Map}, a record or a bean supplies {@code :name} parameters.
     * @param sql the SQL as the caller wrote it
     * @param set the parameter set
     * @return the SQL to send and its values
     */
    public static StatementParameters ofSet(String sql, @Nullable Object set) {
        if (set instanceof Object[] positional) {
            return new StatementParameters(sql, positional);
        }
        if (set == null) {
            throw new IllegalArgumentException("A batch parameter set is null; use an empty Object[] for a "
                    + "statement without parameters");
        }
        // without :name parameters the named substitution leaves the SQL as it is
        if (!(set instanceof NamedParameters)
                && NamedParameterUtils.substituteNamedParameters(parsed(sql), null).equals(sql)) {
            if (BeanUtils.isSimpleValueType(set.getClass())) {
                // a single value for a statement with one ? placeholder
                return new StatementParameters(sql, new Object[] { set });
            }
            throw new IllegalArgumentException("A batch parameter set of type " + set.getClass().getName()
                    + " supplies :name parameters, but the statement has none; give each set as an Object[] of "
                    + "values for its ? placeholders");
        }
        return named(sql, NamedParameters.of(set).source());
    }

    private static StatementParameters named(String sql, SqlParameterSource source) {
        ParsedSql parsed = parsed(sql);
        String substituted = NamedParameterUtils.substituteNamedParameters(parsed, source);
        @Nullable Object[] values = NamedParameterUtils.buildValueArray(parsed, source, null);
        return new StatementParameters(substituted, expanded(values));
    }

    /**
     * Spreads collection values over the placeholders that {@code substituteNamedParameters} wrote for them:
     * one per element, or one per member of an {@code Object[]} element (a tuple, {@code (a, b) in (:pairs)}).
     */
    private static @Nullable Object[] expanded(@Nullable Object[] values) {
        boolean any = false;
        for (Object value : values) {
            any |= plain(value) instanceof Iterable<?>;
        }
        if (!any) {
            return values;
        }
        List<@Nullable Object> spread = new ArrayList<>(values.length * 2);
        for (Object value : values) {
            if (plain(value) instanceof Iterable<?> elements) {
                for (Object element : elements) {
                    if (element instanceof Object[] tuple) {
                        spread.addAll(Arrays.asList(tuple));
                    }
                    else {
                        spread.add(element);
                    }
                }
            }
            else {
                spread.add(value);
            }
        }
        return spread.toArray();
    }

    private static @Nullable Object plain(@Nullable Object value) {
        return (value instanceof SqlParameterValue typed) ? typed.getValue() : value;
    }

    private static ParsedSql parsed(String sql) {
        ParsedSql parsed = parsedCache.get(sql);
        if (parsed == null) {
            if (parsedCache.size() >= PARSED_CACHE_LIMIT) {
                // Statements are usually constants, so the cache rarely fills; when an application builds SQL
                // dynamically, starting over is cheaper than tracking recency on every call.
                parsedCache.clear();
            }
            parsed = NamedParameterUtils.parseSqlStatement(sql);
            parsedCache.put(sql, parsed);
        }
        return parsed;
    }

    /**
     * Binds the values to a statement, from the first placeholder on.
     * @param statement the statement
     * @throws SQLException when the driver rejects a value
     */
    public void bind(PreparedStatement statement) throws SQLException {
        bind(statement, 1, this.values);
    }

    /**
     * Binds values to consecutive placeholders.
     * @param statement the statement
     * @param first the index of the first placeholder
     * @param values the values
     * @return the index after the last bound placeholder
     * @throws SQLException when the driver rejects a value
     */
    public static int bind(PreparedStatement statement, int first, @Nullable Object[] values) throws SQLException {
        int index = first;
        for (Object value : values) {
            bindValue(statement, index++, value);
        }
        return index;
    }

    private static void bindValue(PreparedStatement statement, int index, @Nullable Object value)
            throws SQLException {
        if (value == null) {
            // Unspecified type: the server infers it from the context, as it does for a literal NULL.
            statement.setNull(index, Types.NULL);
        }
        else if (value instanceof String text) {
            statement.setString(index, text);
        }
        else if (value instanceof Integer number) {
            statement.setInt(index, number);
        }
        else if (value instanceof Long number) {
            statement.setLong(index, number);
        }
        else if (value instanceof Enum<?> constant) {
            // Unspecified type, so the value fits a PostgreSQL enum column as well as a text one.
            statement.setObject(index, constant.name(), Types.OTHER);
        }
        else if (value instanceof Instant instant) {
            statement.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
        }
        else if (value instanceof ZonedDateTime dateTime) {
            statement.setObject(index, dateTime.toOffsetDateTime());
        }
        else if (value instanceof BigInteger number) {
            statement.setBigDecimal(index, new java.math.BigDecimal(number));
        }
        else if (value instanceof Collection<?> collection) {
            statement.setArray(index, array(statement.getConnection(), collection));
        }
        else if (value instanceof SqlParameterValue typed) {
            StatementCreatorUtils.setParameterValue(statement, index, typed, typed.getValue());
        }
        else {
            statement.setObject(index, value);
        }
    }

    private static Array array(Connection connection, Collection<?> collection) throws SQLException {
        Object first = collection.isEmpty() ? null : collection.iterator().next();
        Object[] elements = collection.toArray();
        for (int i = 0; i < elements.length; i++) {
            if (elements[i] instanceof Enum<?> constant) {
                elements[i] = constant.name();
            }
            else if (elements[i] instanceof Instant instant) {
                elements[i] = OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
            }
            else if (elements[i] instanceof ZonedDateTime dateTime) {
                elements[i] = dateTime.toOffsetDateTime();
            }
        }
        return connection.createArrayOf(elementType(first), elements);
    }

    private static String elementType(@Nullable Object element) {
        if (element instanceof Integer || element instanceof Short || element instanceof Byte) {
            return "int4";
        }
        if (element instanceof Long) {
            return "int8";
        }
        if (element instanceof java.math.BigDecimal || element instanceof BigInteger) {
            return "numeric";
        }
        if (element instanceof Double) {
            return "float8";
        }
        if (element instanceof Float) {
            return "float4";
        }
        if (element instanceof Boolean) {
            return "bool";
        }
        if (element instanceof UUID) {
            return "uuid";
        }
        if (element instanceof java.time.LocalDate) {
            return "date";
        }
        if (element instanceof java.time.LocalTime) {
            return "time";
        }
        if (element instanceof java.time.LocalDateTime) {
            return "timestamp";
        }
        if (element instanceof OffsetDateTime || element instanceof Instant || element instanceof ZonedDateTime) {
            return "timestamptz";
        }
        return "text";
    }

}
