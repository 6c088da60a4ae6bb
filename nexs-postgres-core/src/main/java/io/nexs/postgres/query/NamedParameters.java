package io.nexs.postgres.query;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.SimplePropertySqlParameterSource;
import org.springframework.jdbc.core.namedparam.SqlParameterSource;

/**
 * Values for {@code :name} parameters. Passed as the only argument of a query, it makes the SQL be read for
 * named parameters instead of {@code ?}; a collection value expands to a list ({@code id in (:ids)}).
 * <pre>{@code
 * postgres.queryAll(Order.class, "select * from orders where customer = :customer and status in (:statuses)",
 *         NamedParameters.of("customer", 7, "statuses", List.of("open", "paid")));
 * postgres.exec("insert into orders (id, customer) values (:id, :customer)", NamedParameters.of(order));
 * }</pre>
 */
public final class NamedParameters {

    private final SqlParameterSource source;

    private NamedParameters(SqlParameterSource source) {
        this.source = source;
    }

    /**
     * Parameters from a map of names to values.
     * @param values the values by parameter name
     * @return the parameters
     */
    public static NamedParameters of(Map<String, ?> values) {
        return new NamedParameters(new MapSqlParameterSource(values));
    }

    /**
     * Parameters from the components of a record, the properties of a bean or the fields of an object.
     * @param source the object
     * @return the parameters
     */
    public static NamedParameters of(Object source) {
        Objects.requireNonNull(source, "source");
        if (source instanceof NamedParameters named) {
            return named;
        }
        if (source instanceof Map<?, ?> map) {
            Map<String, @Nullable Object> values = new LinkedHashMap<>();
            map.forEach((key, value) -> values.put(String.valueOf(key), value));
            return of(values);
        }
        if (source instanceof SqlParameterSource parameters) {
            return new NamedParameters(parameters);
        }
        return new NamedParameters(new SimplePropertySqlParameterSource(source));
    }

    /**
     * One named parameter.
     * @param name the name
     * @param value the value
     * @return the parameters
     */
    public static NamedParameters of(String name, @Nullable Object value) {
        return new NamedParameters(new MapSqlParameterSource(name, value));
    }

    /**
     * Two named parameters.
     * @param name1 the first name
     * @param value1 the first value
     * @param name2 the second name
     * @param value2 the second value
     * @return the parameters
     */
    public static NamedParameters of(String name1, @Nullable Object value1, String name2,
            @Nullable Object value2) {
        return new NamedParameters(new MapSqlParameterSource(name1, value1).addValue(name2, value2));
    }

    /**
     * The parameters as Spring's {@link SqlParameterSource}.
     * @return the source
     */
    public SqlParameterSource source() {
        return this.source;
    }

}
