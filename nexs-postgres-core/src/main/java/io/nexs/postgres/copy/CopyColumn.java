package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * A column a binary {@code COPY} writes, with its type as the table declares it, looked up once before the first
 * row is sent: a value is then written in the column's own binary form, and a value that does not fit the column
 * is refused with the row and the column named, before it reaches the server.
 *
 * @param name the column, as PostgreSQL stores its name
 * @param typeOid the type's object id
 * @param type the type as {@code format_type} writes it, for messages
 * @param elementOid for an array column, its element type's object id; otherwise 0
 */
public record CopyColumn(String name, int typeOid, String type, int elementOid) {

    private static final String LOOKUP_SQL = "select a.attname, "
            // an enum is written as its label, a domain as its base type
            + "case t.typtype when 'e' then 25 when 'd' then t.typbasetype::int else a.atttypid::int end, "
            + "format_type(a.atttypid, a.atttypmod), "
            + "case when t.typcategory = 'A' then t.typelem::int else 0 end "
            + "from pg_attribute a join pg_type t on t.oid = a.atttypid "
            + "where a.attrelid = ?::regclass and a.attnum > 0 and not a.attisdropped";

    /**
     * A column that is not an array.
     * @param name the column
     * @param typeOid the type's object id
     * @param type the type, for messages
     */
    public CopyColumn(String name, int typeOid, String type) {
        this(name, typeOid, type, 0);
    }

    /**
     * Looks up the columns of a table, in the order given.
     * @param connection a connection to the server
     * @param table the table
     * @param columns the columns to write
     * @return the columns with their types
     * @throws SQLException when the table does not exist (SQLSTATE 42P01) or the server cannot be asked
     * @throws IllegalArgumentException when a column does not exist, or has a type COPY cannot write yet
     */
    public static List<CopyColumn> lookup(Connection connection, SqlIdentifier table, List<SqlIdentifier> columns)
            throws SQLException {
        Map<String, CopyColumn> declared = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(LOOKUP_SQL)) {
            statement.setString(1, table.toSql());
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    declared.put(rows.getString(1),
                            new CopyColumn(rows.getString(1), rows.getInt(2), rows.getString(3), rows.getInt(4)));
                }
            }
        }
        List<CopyColumn> found = new ArrayList<>(columns.size());
        for (SqlIdentifier column : columns) {
            String name = column.parts().get(0);
            CopyColumn match = declared.get(name);
            if (match == null) {
                throw new IllegalArgumentException("The table " + table + " has no column " + column + "; it has "
                        + String.join(", ", declared.keySet()));
            }
            if (!match.isSupported()) {
                throw new IllegalArgumentException("The column " + column + " of " + table + " is of type "
                        + match.type() + ", which binary COPY cannot write yet");
            }
            found.add(match);
        }
        return found;
    }

    /**
     * Whether values of this column's type can be written.
     * @return whether the type is one the encoder writes
     */
    public boolean isSupported() {
        if (this.elementOid != 0) {
            return isScalar(this.elementOid);
        }
        return isScalar(this.typeOid);
    }

    private static boolean isScalar(int oid) {
        return switch (oid) {
            case Oids.BOOL, Oids.INT2, Oids.INT4, Oids.INT8, Oids.FLOAT4, Oids.FLOAT8, Oids.TEXT, Oids.VARCHAR,
                    Oids.BPCHAR, Oids.NAME, Oids.JSON, Oids.JSONB, Oids.BYTEA, Oids.UUID, Oids.DATE, Oids.TIME,
                    Oids.TIMESTAMP, Oids.TIMESTAMPTZ, Oids.NUMERIC -> true;
            default -> false;
        };
    }

    /**
     * Whether the column holds JSON ({@code json} or {@code jsonb}), which an object may fill through a JSON codec.
     * @return whether it is a JSON column
     */
    public boolean isJson() {
        return this.elementOid == 0 && (this.typeOid == Oids.JSON || this.typeOid == Oids.JSONB);
    }

    /**
     * Writes one value of this column.
     * @param encoder the encoder
     * @param value the value, or {@code null}
     * @param row the row's number, from 1, for messages
     * @throws CopyValueException when the value does not fit the column; nothing was written for it
     */
    public void write(BinaryCopyEncoder encoder, @Nullable Object value, long row) {
        if (value instanceof Optional<?> optional) {
            write(encoder, optional.orElse(null), row);
            return;
        }
        if (value == null) {
            encoder.writeNull();
            return;
        }
        int mark = encoder.mark();
        try {
            writeValue(encoder, value);
        }
        catch (IllegalArgumentException | ArithmeticException | ClassCastException ex) {
            encoder.rewind(mark);
            throw new CopyValueException(row, this.name, this.type, value.getClass(), ex);
        }
    }

    private void writeValue(BinaryCopyEncoder encoder, Object value) {
        if (this.elementOid != 0) {
            writeArray(encoder, value);
            return;
        }
        writeScalar(encoder, this.typeOid, value);
    }

    /** Writes a Java array or collection as a one-dimensional array; nested ones are refused. */
    private void writeArray(BinaryCopyEncoder encoder, Object value) {
        Object[] elements;
        if (value instanceof Object[] array) {
            elements = array;
        }
        else if (value instanceof java.util.Collection<?> collection) {
            elements = collection.toArray();
        }
        else if (value.getClass().isArray() && !(value instanceof byte[] && this.elementOid == Oids.BYTEA)) {
            int length = java.lang.reflect.Array.getLength(value);
            elements = new Object[length];
            for (int i = 0; i < length; i++) {
                elements[i] = java.lang.reflect.Array.get(value, i);
            }
        }
        else {
            throw new ClassCastException("not an array or collection");
        }
        boolean hasNull = false;
        for (Object element : elements) {
            if (element == null) {
                hasNull = true;
            }
            else if (element instanceof Object[] || element instanceof java.util.Collection<?>) {
                throw new IllegalArgumentException("arrays of arrays are not written yet");
            }
        }
        int start = encoder.beginArray(this.elementOid, elements.length, hasNull);
        for (Object element : elements) {
            if (element == null) {
                encoder.writeNull();
            }
            else {
                writeScalar(encoder, this.elementOid, element);
            }
        }
        encoder.endArray(start);
    }

    private void writeScalar(BinaryCopyEncoder encoder, int oid, Object value) {
        switch (oid) {
            case Oids.BOOL -> encoder.writeBoolean((Boolean) value);
            case Oids.INT2 -> encoder.writeShort((short) Math.toIntExact(wholeNumber(value)));
            case Oids.INT4 -> encoder.writeInt(Math.toIntExact(wholeNumber(value)));
            case Oids.INT8 -> encoder.writeLong(wholeNumber(value));
            case Oids.FLOAT4 -> encoder.writeFloat(((Number) value).floatValue());
            case Oids.FLOAT8 -> encoder.writeDouble(((Number) value).doubleValue());
            case Oids.TEXT, Oids.VARCHAR, Oids.BPCHAR, Oids.NAME, Oids.JSON -> encoder.writeText(text(value));
            case Oids.JSONB -> encoder.writeJsonb(text(value));
            case Oids.BYTEA -> encoder.writeBytes((byte[]) value);
            case Oids.UUID -> encoder.writeUuid(uuid(value));
            case Oids.DATE -> encoder.writeDate((LocalDate) value);
            case Oids.TIME -> encoder.writeTime((LocalTime) value);
            case Oids.TIMESTAMP -> encoder.writeTimestamp((LocalDateTime) value);
            case Oids.TIMESTAMPTZ -> encoder.writeTimestamptz(instant(value));
            case Oids.NUMERIC -> encoder.writeNumeric(decimal(value));
            default -> throw new IllegalArgumentException("binary COPY cannot write type " + this.type + " yet");
        }
    }

    private static long wholeNumber(Object value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big) {
            return big.longValueExact();
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.longValueExact();
        }
        throw new ClassCastException("not a whole number");
    }

    private static BigDecimal decimal(Object value) {
        if (value instanceof BigDecimal decimal) {
            return decimal;
        }
        if (value instanceof BigInteger big) {
            return new BigDecimal(big);
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (!Double.isFinite(number)) {
                throw new IllegalArgumentException("NaN and infinities are not written as numeric yet");
            }
            return BigDecimal.valueOf(number);
        }
        throw new ClassCastException("not a number");
    }

    private static UUID uuid(Object value) {
        if (value instanceof String text) {
            try {
                return UUID.fromString(text);
            }
            catch (IllegalArgumentException ex) {
                // UUID's own message repeats the value
                throw new IllegalArgumentException("the text is not a UUID");
            }
        }
        return (UUID) value;
    }

    private static Instant instant(Object value) {
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof OffsetDateTime offset) {
            return offset.toInstant();
        }
        if (value instanceof ZonedDateTime zoned) {
            return zoned.toInstant();
        }
        throw new ClassCastException("not an instant");
    }

    private static String text(Object value) {
        if (value instanceof String || value instanceof Character || value instanceof Enum<?>) {
            return (value instanceof Enum<?> constant) ? constant.name() : value.toString();
        }
        throw new ClassCastException("not text");
    }

    /** Object ids of the types binary COPY writes, as {@code pg_type} numbers them. */
    static final class Oids {

        static final int BOOL = 16;

        static final int BYTEA = 17;

        static final int NAME = 19;

        static final int INT8 = 20;

        static final int INT2 = 21;

        static final int INT4 = 23;

        static final int TEXT = 25;

        static final int JSON = 114;

        static final int FLOAT4 = 700;

        static final int FLOAT8 = 701;

        static final int BPCHAR = 1042;

        static final int VARCHAR = 1043;

        static final int DATE = 1082;

        static final int TIME = 1083;

        static final int TIMESTAMP = 1114;

        static final int TIMESTAMPTZ = 1184;

        static final int NUMERIC = 1700;

        static final int UUID = 2950;

        static final int JSONB = 3802;

        private Oids() {
        }

    }

}
