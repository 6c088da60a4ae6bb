package io.nexs.postgres.query;

import java.sql.Types;
import java.util.Locale;

/**
 * One column of a result set, as a mapping plan sees it: its position, label and SQL type, and the forms of the
 * label that properties are matched against.
 *
 * @param index the 1-based JDBC column index
 * @param label the column label, as the query returns it
 * @param jdbcType the {@link Types} constant of the column
 * @param typeName the PostgreSQL type name, such as {@code int4}, {@code jsonb}, {@code _text} or an enum's name
 * @param kind the family of the type, which picks the converters that can read it
 * @param lowerLabel the label in lower case, matched against {@link Column} names
 * @param normalisedLabel the label in lower case without underscores, matched against property names
 */
record ResultColumn(int index, String label, int jdbcType, String typeName, SqlKind kind, String lowerLabel,
        String normalisedLabel) {

    /**
     * Describes a column.
     * @param index the 1-based column index
     * @param label the label
     * @param jdbcType the JDBC type
     * @param typeName the PostgreSQL type name
     * @return the column
     */
    static ResultColumn of(int index, String label, int jdbcType, String typeName) {
        return new ResultColumn(index, label, jdbcType, typeName, SqlKind.of(typeName, jdbcType),
                label.toLowerCase(Locale.ROOT), normalise(label));
    }

    /**
     * The form of a name that column labels and property names are compared in, so that {@code order_id},
     * {@code ORDER_ID} and {@code orderId} meet.
     * @param name a label or property name
     * @return the name in lower case without underscores
     */
    static String normalise(String name) {
        return name.toLowerCase(Locale.ROOT).replace("_", "");
    }

    /**
     * The family of an array column's elements.
     * @return the element kind, {@link SqlKind#OTHER} when not known
     */
    SqlKind elementKind() {
        return (this.typeName.startsWith("_")) ? SqlKind.of(this.typeName.substring(1), Types.OTHER)
                : SqlKind.OTHER;
    }

    /**
     * The column as messages name it: its label and SQL type, never its value.
     * @return for example {@code "age" (int4)}
     */
    String describe() {
        return "\"" + this.label + "\" (" + this.typeName + ")";
    }

    /**
     * Families of PostgreSQL types that read alike.
     */
    enum SqlKind {

        INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC, BOOL, TEXT, UUID, DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ,
        JSON, BYTEA, ARRAY, OTHER;

        static SqlKind of(String typeName, int jdbcType) {
            return switch (typeName) {
                case "int2" -> INT2;
                case "int4" -> INT4;
                case "int8", "oid" -> INT8;
                case "float4" -> FLOAT4;
                case "float8" -> FLOAT8;
                case "numeric" -> NUMERIC;
                case "bool" -> BOOL;
                case "text", "varchar", "bpchar", "char", "name", "citext", "xml" -> TEXT;
                case "uuid" -> UUID;
                case "date" -> DATE;
                case "time" -> TIME;
                case "timetz" -> TIMETZ;
                case "timestamp" -> TIMESTAMP;
                case "timestamptz" -> TIMESTAMPTZ;
                case "json", "jsonb" -> JSON;
                case "bytea" -> BYTEA;
                default -> {
                    if (jdbcType == Types.ARRAY || typeName.startsWith("_")) {
                        yield ARRAY;
                    }
                    // enum types: PgJDBC reports them as VARCHAR, and their text is the constant's name
                    yield (jdbcType == Types.VARCHAR || jdbcType == Types.CHAR || jdbcType == Types.LONGVARCHAR)
                            ? TEXT : OTHER;
                }
            };
        }

        boolean isInteger() {
            return this == INT2 || this == INT4 || this == INT8;
        }

        boolean isNumber() {
            return isInteger() || this == FLOAT4 || this == FLOAT8 || this == NUMERIC;
        }

    }

}
