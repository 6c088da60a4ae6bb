package io.nexs.postgres.copy;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * The rows of a binary {@code COPY ... TO STDOUT}, decoded one at a time from the stream and offered as a
 * forward-only {@link ResultSet}, so the row mapping of queries maps them: values come out as the driver's
 * {@code getObject} gives them for the same column ({@code Integer} for {@code integer}, {@code BigDecimal} for
 * {@code numeric}, {@code OffsetDateTime} in UTC for {@code timestamptz}, a {@link java.sql.Array} for a
 * one-dimensional array). The columns and their types are read before the {@code COPY} starts (from the query's
 * description); a type whose binary form is not decoded here is refused then, with the cast that fixes it.
 */
public final class CopyOutRows extends ReadOnlyResultSet {

    private static final byte[] SIGNATURE = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0 };

    private static final LocalDate EPOCH_DATE = LocalDate.of(2000, 1, 1);

    private static final LocalDateTime EPOCH = EPOCH_DATE.atStartOfDay();

    private final DataInputStream in;

    private final ResultSetMetaData metaData;

    private final Decoder[] decoders;

    private final @Nullable Object[] values;

    private boolean headerRead;

    private boolean done;

    private boolean closed;

    private boolean lastWasNull;

    private int row;

    private CopyOutRows(InputStream in, ResultSetMetaData metaData, Decoder[] decoders) {
        this.in = new DataInputStream(in);
        this.metaData = metaData;
        this.decoders = decoders;
        this.values = new Object[decoders.length];
    }

    /**
     * Checks that every column of a result can be decoded, before its {@code COPY} starts.
     * @param metaData the query's columns, as the driver describes them
     * @return a snapshot of the columns, independent of the connection
     * @throws SQLException when a column's type is not decoded here, naming the column and the cast to use
     */
    public static ResultSetMetaData describe(ResultSetMetaData metaData) throws SQLException {
        CopyOutMetaData snapshot = CopyOutMetaData.of(metaData);
        for (int i = 1; i <= snapshot.getColumnCount(); i++) {
            decoder(snapshot, i);
        }
        return snapshot;
    }

    /**
     * Reads the rows of a binary {@code COPY} stream.
     * @param in the stream, positioned at its header
     * @param metaData the columns, from {@link #describe(ResultSetMetaData)}
     * @return the rows, positioned before the first
     * @throws SQLException when a column's type is not decoded here
     */
    public static CopyOutRows of(InputStream in, ResultSetMetaData metaData) throws SQLException {
        Decoder[] decoders = new Decoder[metaData.getColumnCount()];
        for (int i = 0; i < decoders.length; i++) {
            decoders[i] = decoder(metaData, i + 1);
        }
        return new CopyOutRows(in, metaData, decoders);
    }

    private static Decoder decoder(ResultSetMetaData metaData, int column) throws SQLException {
        String type = metaData.getColumnTypeName(column);
        Decoder decoder = scalar(type);
        if (decoder == null && type.startsWith("_")) {
            Decoder element = scalar(type.substring(1));
            if (element != null) {
                decoder = new ArrayDecoder(type.substring(1), element);
            }
        }
        if (decoder == null) {
            String label = metaData.getColumnLabel(column);
            throw new SQLFeatureNotSupportedException("Column " + label + " is of type " + type + ", whose binary "
                    + "COPY form is not read into objects; cast it in the query, for example " + label + "::text");
        }
        return decoder;
    }

    private static @Nullable Decoder scalar(String type) {
        return switch (type) {
            case "bool" -> (data, length) -> data.readByte() != 0;
            case "int2", "smallserial" -> (data, length) -> (int) data.readShort();
            case "int4", "serial" -> (data, length) -> data.readInt();
            case "int8", "bigserial" -> (data, length) -> data.readLong();
            case "oid" -> (data, length) -> data.readInt() & 0xFFFFFFFFL;
            case "float4" -> (data, length) -> data.readFloat();
            case "float8" -> (data, length) -> data.readDouble();
            case "text", "varchar", "bpchar", "name", "json", "unknown", "xml" -> CopyOutRows::text;
            case "jsonb" -> (data, length) -> {
                data.readByte();
                return text(data, length - 1);
            };
            case "bytea" -> (data, length) -> {
                byte[] bytes = new byte[length];
                data.readFully(bytes);
                return bytes;
            };
            case "uuid" -> (data, length) -> new UUID(data.readLong(), data.readLong());
            case "date" -> (data, length) -> date(data.readInt());
            case "time" -> (data, length) -> LocalTime.ofNanoOfDay(data.readLong() * 1000);
            case "timestamp" -> (data, length) -> timestamp(data.readLong());
            case "timestamptz" -> (data, length) -> timestamp(data.readLong()).atOffset(ZoneOffset.UTC);
            case "numeric" -> CopyOutRows::numeric;
            default -> null;
        };
    }

    private static String text(DataInputStream data, int length) throws IOException {
        byte[] bytes = new byte[length];
        data.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static LocalDate date(int days) {
        if (days == Integer.MAX_VALUE) {
            return LocalDate.MAX;
        }
        if (days == Integer.MIN_VALUE) {
            return LocalDate.MIN;
        }
        return EPOCH_DATE.plusDays(days);
    }

    private static LocalDateTime timestamp(long micros) {
        if (micros == Long.MAX_VALUE) {
            return LocalDateTime.MAX;
        }
        if (micros == Long.MIN_VALUE) {
            return LocalDateTime.MIN;
        }
        return EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    private static Object numeric(DataInputStream data, int length) throws IOException, SQLException {
        int digits = data.readShort();
        int weight = data.readShort();
        int sign = data.readShort() & 0xFFFF;
        int scale = data.readShort();
        if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
            for (int i = 0; i < digits; i++) {
                data.readShort();
            }
            throw new SQLDataException("A numeric NaN or infinity has no BigDecimal form", "22003");
        }
        BigInteger unscaled = BigInteger.ZERO;
        BigInteger base = BigInteger.valueOf(10_000);
        long small = 0;
        boolean fitsLong = digits <= 4;
        for (int i = 0; i < digits; i++) {
            int digit = data.readShort();
            if (fitsLong) {
                small = small * 10_000 + digit;
            }
            else {
                unscaled = unscaled.multiply(base).add(BigInteger.valueOf(digit));
            }
        }
        BigDecimal value = fitsLong ? BigDecimal.valueOf(small) : new BigDecimal(unscaled);
        value = value.scaleByPowerOfTen(4 * (weight - digits + 1));
        value = value.setScale(scale, RoundingMode.UNNECESSARY);
        return (sign == 0x4000) ? value.negate() : value;
    }

    @Override
    public boolean next() throws SQLException {
        if (this.closed) {
            throw new SQLException("The COPY rows are closed");
        }
        if (this.done) {
            return false;
        }
        try {
            if (!this.headerRead) {
                readHeader();
            }
            int fields = this.in.readShort();
            if (fields == -1) {
                this.done = true;
                return false;
            }
            if (fields != this.decoders.length) {
                throw new SQLException("A COPY row has " + fields + " fields, not the " + this.decoders.length
                        + " columns described", "08P01");
            }
            for (int i = 0; i < fields; i++) {
                int length = this.in.readInt();
                this.values[i] = (length < 0) ? null : this.decoders[i].decode(this.in, length);
            }
            this.row++;
            return true;
        }
        catch (EOFException ex) {
            throw new SQLException("The COPY stream ended in the middle of a row", "08006", ex);
        }
        catch (IOException ex) {
            throw new SQLException("Reading the COPY stream failed: " + ex.getMessage(), "08006", ex);
        }
    }

    private void readHeader() throws IOException, SQLException {
        byte[] signature = new byte[SIGNATURE.length];
        this.in.readFully(signature);
        if (!Arrays.equals(signature, SIGNATURE)) {
            throw new SQLException("The COPY stream does not start with the binary signature", "08P01");
        }
        this.in.readInt();
        int extension = this.in.readInt();
        this.in.skipNBytes(extension);
        this.headerRead = true;
    }

    private @Nullable Object value(int column) throws SQLException {
        if (column < 1 || column > this.values.length) {
            throw new SQLException("No column " + column + "; there are " + this.values.length);
        }
        if (this.row == 0 || this.done) {
            throw new SQLException("Not on a row");
        }
        Object value = this.values[column - 1];
        this.lastWasNull = value == null;
        return value;
    }

    @Override
    public boolean wasNull() {
        return this.lastWasNull;
    }

    @Override
    public @Nullable Object getObject(int column) throws SQLException {
        Object value = value(column);
        if (value instanceof Object[] elements) {
            return new CopyArray(((ArrayDecoder) this.decoders[column - 1]).elementType, elements);
        }
        return value;
    }

    @Override
    public <T> @Nullable T getObject(int column, Class<T> type) throws SQLException {
        Object value = value(column);
        if (value == null) {
            return null;
        }
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        Object converted = null;
        if (type == LocalDateTime.class) {
            converted = (value instanceof LocalDate date) ? date.atStartOfDay()
                    : (value instanceof OffsetDateTime offset) ? offset.withOffsetSameInstant(ZoneOffset.UTC)
                        .toLocalDateTime() : null;
        }
        else if (type == LocalDate.class && value instanceof LocalDateTime dateTime) {
            converted = dateTime.toLocalDate();
        }
        else if (type == OffsetDateTime.class && value instanceof LocalDateTime dateTime) {
            converted = dateTime.atOffset(ZoneOffset.UTC);
        }
        else if (type == String.class) {
            converted = getString(column);
        }
        else if (type == Array.class && value instanceof Object[]) {
            converted = getObject(column);
        }
        if (converted == null) {
            throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " holds a "
                    + value.getClass().getName() + ", which is not read as " + type.getName(), "22000");
        }
        return type.cast(converted);
    }

    @Override
    public @Nullable String getString(int column) throws SQLException {
        Object value = value(column);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        if (value instanceof Boolean bool) {
            return bool ? "t" : "f";
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (value instanceof byte[] bytes) {
            return "\\x" + HexFormat.of().formatHex(bytes);
        }
        if (value instanceof LocalDateTime dateTime) {
            return dateTime.toString().replace('T', ' ');
        }
        if (value instanceof OffsetDateTime offset) {
            return offset.toLocalDateTime().toString().replace('T', ' ') + "+00";
        }
        if (value instanceof Object[] elements) {
            StringBuilder text = new StringBuilder("{");
            for (Object element : elements) {
                text.append((text.length() > 1) ? "," : "").append((element != null) ? element : "NULL");
            }
            return text.append('}').toString();
        }
        return value.toString();
    }

    private @Nullable Number number(int column) throws SQLException {
        Object value = value(column);
        if (value == null || value instanceof Number) {
            return (Number) value;
        }
        throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " is not a number", "22000");
    }

    @Override
    public boolean getBoolean(int column) throws SQLException {
        Object value = value(column);
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean bool) {
            return bool;
        }
        throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " is not a boolean", "22000");
    }

    @Override
    public short getShort(int column) throws SQLException {
        Number value = number(column);
        return (value != null) ? value.shortValue() : 0;
    }

    @Override
    public int getInt(int column) throws SQLException {
        Number value = number(column);
        return (value != null) ? value.intValue() : 0;
    }

    @Override
    public long getLong(int column) throws SQLException {
        Number value = number(column);
        return (value != null) ? value.longValue() : 0;
    }

    @Override
    public float getFloat(int column) throws SQLException {
        Number value = number(column);
        return (value != null) ? value.floatValue() : 0;
    }

    @Override
    public double getDouble(int column) throws SQLException {
        Number value = number(column);
        return (value != null) ? value.doubleValue() : 0;
    }

    @Override
    public @Nullable BigDecimal getBigDecimal(int column) throws SQLException {
        Number value = number(column);
        if (value == null || value instanceof BigDecimal) {
            return (BigDecimal) value;
        }
        return (value instanceof Double || value instanceof Float) ? BigDecimal.valueOf(value.doubleValue())
                : BigDecimal.valueOf(value.longValue());
    }

    @Override
    public byte @Nullable [] getBytes(int column) throws SQLException {
        Object value = value(column);
        if (value == null || value instanceof byte[]) {
            return (byte[]) value;
        }
        throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " is not bytea", "22000");
    }

    @Override
    public @Nullable Array getArray(int column) throws SQLException {
        Object value = getObject(column);
        if (value == null || value instanceof Array) {
            return (Array) value;
        }
        throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " is not an array", "22000");
    }

    @Override
    public @Nullable Object getObject(String label) throws SQLException {
        return getObject(findColumn(label));
    }

    @Override
    public @Nullable String getString(String label) throws SQLException {
        return getString(findColumn(label));
    }

    @Override
    public boolean getBoolean(String label) throws SQLException {
        return getBoolean(findColumn(label));
    }

    @Override
    public short getShort(String label) throws SQLException {
        return getShort(findColumn(label));
    }

    @Override
    public int getInt(String label) throws SQLException {
        return getInt(findColumn(label));
    }

    @Override
    public long getLong(String label) throws SQLException {
        return getLong(findColumn(label));
    }

    @Override
    public float getFloat(String label) throws SQLException {
        return getFloat(findColumn(label));
    }

    @Override
    public double getDouble(String label) throws SQLException {
        return getDouble(findColumn(label));
    }

    @Override
    public @Nullable BigDecimal getBigDecimal(String label) throws SQLException {
        return getBigDecimal(findColumn(label));
    }

    @Override
    public byte @Nullable [] getBytes(String label) throws SQLException {
        return getBytes(findColumn(label));
    }

    @Override
    public @Nullable Array getArray(String label) throws SQLException {
        return getArray(findColumn(label));
    }

    @Override
    public <T> @Nullable T getObject(String label, Class<T> type) throws SQLException {
        return getObject(findColumn(label), type);
    }

    @Override
    public ResultSetMetaData getMetaData() {
        return this.metaData;
    }

    @Override
    public int findColumn(String label) throws SQLException {
        for (int i = 1; i <= this.metaData.getColumnCount(); i++) {
            if (this.metaData.getColumnLabel(i).equalsIgnoreCase(label)) {
                return i;
            }
        }
        throw new SQLException("No column " + label);
    }

    @Override
    public int getRow() {
        return this.row;
    }

    @Override
    public boolean isClosed() {
        return this.closed;
    }

    @Override
    public void close() throws SQLException {
        if (this.closed) {
            return;
        }
        this.closed = true;
        try {
            this.in.close();
        }
        catch (IOException ex) {
            throw new SQLException("Closing the COPY stream failed: " + ex.getMessage(), "08006", ex);
        }
    }

    /** Decodes one non-NULL value of a column from its binary form. */
    @FunctionalInterface
    private interface Decoder {

        Object decode(DataInputStream data, int length) throws IOException, SQLException;

    }

    /** A one-dimensional array, decoded into an {@code Object[]} of its elements. */
    private static final class ArrayDecoder implements Decoder {

        private final String elementType;

        private final Decoder element;

        ArrayDecoder(String elementType, Decoder element) {
            this.elementType = elementType;
            this.element = element;
        }

        @Override
        public Object decode(DataInputStream data, int length) throws IOException, SQLException {
            int dimensions = data.readInt();
            data.readInt();
            data.readInt();
            if (dimensions == 0) {
                return new Object[0];
            }
            if (dimensions != 1) {
                throw new SQLFeatureNotSupportedException("An array of " + dimensions + " dimensions is not read "
                        + "into objects; select it as text or unnest it");
            }
            int size = data.readInt();
            data.readInt();
            Object[] elements = new Object[size];
            for (int i = 0; i < size; i++) {
                int elementLength = data.readInt();
                elements[i] = (elementLength < 0) ? null : this.element.decode(data, elementLength);
            }
            return elements;
        }

    }

    /** An array value, as {@link ResultSet#getArray(int)} gives it. */
    private static final class CopyArray implements Array {

        private final String elementType;

        private final Object[] elements;

        CopyArray(String elementType, Object[] elements) {
            this.elementType = elementType;
            this.elements = elements;
        }

        @Override
        public String getBaseTypeName() {
            return this.elementType;
        }

        @Override
        public int getBaseType() {
            return Types.OTHER;
        }

        @Override
        public Object getArray() {
            return this.elements.clone();
        }

        @Override
        public Object getArray(Map<String, Class<?>> map) {
            return getArray();
        }

        @Override
        public Object getArray(long index, int count) {
            return Arrays.copyOfRange(this.elements, (int) index - 1, (int) index - 1 + count);
        }

        @Override
        public Object getArray(long index, int count, Map<String, Class<?>> map) {
            return getArray(index, count);
        }

        @Override
        public ResultSet getResultSet() throws SQLException {
            throw new SQLFeatureNotSupportedException("An array of COPY rows has no result set");
        }

        @Override
        public ResultSet getResultSet(Map<String, Class<?>> map) throws SQLException {
            return getResultSet();
        }

        @Override
        public ResultSet getResultSet(long index, int count) throws SQLException {
            return getResultSet();
        }

        @Override
        public ResultSet getResultSet(long index, int count, Map<String, Class<?>> map) throws SQLException {
            return getResultSet();
        }

        @Override
        public void free() {
            // nothing held
        }

        @Override
        public String toString() {
            return Arrays.toString(this.elements);
        }

    }

}
