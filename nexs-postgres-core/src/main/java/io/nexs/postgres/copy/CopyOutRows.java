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
import java.sql.Timestamp;
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
import org.postgresql.PGStatement;

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
            case "bool" -> fixed(1, (data) -> data.readByte() != 0);
            case "int2", "smallserial" -> fixed(2, (data) -> (int) data.readShort());
            case "int4", "serial" -> fixed(4, DataInputStream::readInt);
            case "int8", "bigserial" -> fixed(8, DataInputStream::readLong);
            case "oid" -> fixed(4, (data) -> data.readInt() & 0xFFFFFFFFL);
            case "float4" -> fixed(4, DataInputStream::readFloat);
            case "float8" -> fixed(8, DataInputStream::readDouble);
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
            case "uuid" -> fixed(16, (data) -> new UUID(data.readLong(), data.readLong()));
            case "date" -> fixed(4, (data) -> date(data.readInt()));
            case "time" -> fixed(8, (data) -> time(data.readLong()));
            case "timestamp" -> fixed(8, (data) -> timestamp(data.readLong()));
            case "timestamptz" -> fixed(8, (data) -> timestamptz(data.readLong()));
            case "numeric" -> CopyOutRows::numeric;
            default -> null;
        };
    }

    /**
     * A decoder of a type whose binary form has a fixed size: a value of another size means the stream is not what
     * the columns' description said (the types changed between the description and the {@code COPY}).
     */
    private static Decoder fixed(int size, FixedDecoder decoder) {
        return (data, length) -> {
            if (length != size) {
                throw new SQLException("A COPY value of " + length + " bytes where its type has " + size + ": the "
                        + "columns changed after they were described", "08P01");
            }
            return decoder.decode(data);
        };
    }

    private static LocalTime time(long micros) {
        // 24:00:00, which PostgreSQL allows
        return (micros == 86_400_000_000L) ? LocalTime.MAX : LocalTime.ofNanoOfDay(micros * 1000);
    }

    private static OffsetDateTime timestamptz(long micros) {
        if (micros == Long.MAX_VALUE) {
            return OffsetDateTime.MAX;
        }
        if (micros == Long.MIN_VALUE) {
            return OffsetDateTime.MIN;
        }
        return timestamp(micros).atOffset(ZoneOffset.UTC);
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
            // as the driver gives them: a double, which getBigDecimal refuses
            return (sign == 0xC000) ? Double.NaN : (sign == 0xD000) ? Double.POSITIVE_INFINITY
                    : Double.NEGATIVE_INFINITY;
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
            if (ex.getCause() instanceof SQLException server) {
                // the server's own error, such as a value the query could not compute: not a lost connection
                throw server;
            }
            throw new SQLException("Reading the COPY stream failed", "08006", ex);
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
        return jdbcValue(value);
    }

    /** A value as the driver's {@code getObject} gives it: dates and times as {@code java.sql} types. */
    private static @Nullable Object jdbcValue(@Nullable Object value) {
        if (value instanceof LocalDate date) {
            return (date == LocalDate.MAX) ? new java.sql.Date(PGStatement.DATE_POSITIVE_INFINITY)
                    : (date == LocalDate.MIN) ? new java.sql.Date(PGStatement.DATE_NEGATIVE_INFINITY)
                    : java.sql.Date.valueOf(date);
        }
        if (value instanceof LocalTime time) {
            return java.sql.Time.valueOf(time);
        }
        if (value instanceof LocalDateTime dateTime) {
            return (dateTime == LocalDateTime.MAX) ? new Timestamp(PGStatement.DATE_POSITIVE_INFINITY)
                    : (dateTime == LocalDateTime.MIN) ? new Timestamp(PGStatement.DATE_NEGATIVE_INFINITY)
                    : Timestamp.valueOf(dateTime);
        }
        if (value instanceof OffsetDateTime offset) {
            return (offset == OffsetDateTime.MAX) ? new Timestamp(PGStatement.DATE_POSITIVE_INFINITY)
                    : (offset == OffsetDateTime.MIN) ? new Timestamp(PGStatement.DATE_NEGATIVE_INFINITY)
                    : Timestamp.from(offset.toInstant());
        }
        return value;
    }

    @Override
    public java.sql.@Nullable Date getDate(int column) throws SQLException {
        return jdbcTemporal(column, java.sql.Date.class);
    }

    @Override
    public java.sql.@Nullable Time getTime(int column) throws SQLException {
        return jdbcTemporal(column, java.sql.Time.class);
    }

    @Override
    public @Nullable Timestamp getTimestamp(int column) throws SQLException {
        return jdbcTemporal(column, Timestamp.class);
    }

    private <T> @Nullable T jdbcTemporal(int column, Class<T> type) throws SQLException {
        Object value = value(column);
        if (value instanceof LocalDate date && type == Timestamp.class) {
            value = date.atStartOfDay();
        }
        else if (value instanceof LocalDateTime dateTime && type == java.sql.Date.class && dateTime != LocalDateTime.MAX
                && dateTime != LocalDateTime.MIN) {
            value = dateTime.toLocalDate();
        }
        Object jdbc = jdbcValue(value);
        if (jdbc == null || type.isInstance(jdbc)) {
            return type.cast(jdbc);
        }
        throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " is not read as "
                + type.getName(), "22000");
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
        else if (type == Timestamp.class || type == java.sql.Date.class || type == java.sql.Time.class) {
            converted = jdbcTemporal(column, type);
        }
        else if (type == BigDecimal.class && value instanceof Number) {
            converted = getBigDecimal(column);
        }
        else if ((type == Double.class || type == Float.class || type == Long.class || type == Integer.class
                || type == Short.class) && value instanceof Number) {
            converted = (type == Double.class) ? (Object) getDouble(column) : (type == Float.class)
                    ? (Object) getFloat(column) : (type == Long.class) ? (Object) getLong(column)
                    : (type == Integer.class) ? (Object) getInt(column) : (Object) getShort(column);
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
        if (value == LocalDate.MAX || value == LocalDateTime.MAX || value == OffsetDateTime.MAX) {
            return "infinity";
        }
        if (value == LocalDate.MIN || value == LocalDateTime.MIN || value == OffsetDateTime.MIN) {
            return "-infinity";
        }
        if (value instanceof LocalDateTime dateTime) {
            return dateTime.toLocalDate() + " " + timeText(dateTime.toLocalTime());
        }
        if (value instanceof LocalTime time) {
            return timeText(time);
        }
        if (value instanceof OffsetDateTime offset) {
            // in the session's time zone, which the driver sets to the JVM's
            java.time.ZonedDateTime zoned = offset.atZoneSameInstant(java.time.ZoneId.systemDefault());
            return zoned.toLocalDate() + " " + timeText(zoned.toLocalTime()) + offsetText(zoned.getOffset());
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

    /** A time as PostgreSQL writes it: seconds always, the fraction without trailing zeros. */
    private static String timeText(LocalTime time) {
        if (time == LocalTime.MAX) {
            return "24:00:00";
        }
        String text = String.format(java.util.Locale.ROOT, "%02d:%02d:%02d", time.getHour(), time.getMinute(),
                time.getSecond());
        int micros = time.getNano() / 1000;
        if (micros == 0) {
            return text;
        }
        String fraction = String.format(java.util.Locale.ROOT, "%06d", micros);
        int end = fraction.length();
        while (fraction.charAt(end - 1) == '0') {
            end--;
        }
        return text + "." + fraction.substring(0, end);
    }

    /** An offset as PostgreSQL writes it: {@code +02}, {@code +05:30}. */
    private static String offsetText(ZoneOffset offset) {
        int seconds = offset.getTotalSeconds();
        int total = Math.abs(seconds);
        StringBuilder text = new StringBuilder((seconds < 0) ? "-" : "+");
        text.append(String.format(java.util.Locale.ROOT, "%02d", total / 3600));
        if (total % 3600 != 0) {
            text.append(String.format(java.util.Locale.ROOT, ":%02d", total % 3600 / 60));
            if (total % 60 != 0) {
                text.append(String.format(java.util.Locale.ROOT, ":%02d", total % 60));
            }
        }
        return text.toString();
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
        return (short) whole(column, Short.MIN_VALUE, Short.MAX_VALUE, "smallint");
    }

    @Override
    public int getInt(int column) throws SQLException {
        return (int) whole(column, Integer.MIN_VALUE, Integer.MAX_VALUE, "int");
    }

    @Override
    public long getLong(int column) throws SQLException {
        return whole(column, Long.MIN_VALUE, Long.MAX_VALUE, "long");
    }

    /** A whole number in a range; a fraction is dropped, as the driver drops it, but a value out of range fails. */
    private long whole(int column, long min, long max, String type) throws SQLException {
        Number value = number(column);
        if (value == null) {
            return 0;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short) {
            long whole = value.longValue();
            if (whole >= min && whole <= max) {
                return whole;
            }
        }
        else {
            BigDecimal decimal = (value instanceof BigDecimal big) ? big
                    : Double.isFinite(value.doubleValue()) ? BigDecimal.valueOf(value.doubleValue()) : null;
            if (decimal != null && decimal.compareTo(BigDecimal.valueOf(min)) >= 0
                    && decimal.compareTo(BigDecimal.valueOf(max)) <= 0) {
                return decimal.longValue();
            }
        }
        throw new SQLDataException("Bad value for type " + type + " in column " + this.metaData.getColumnLabel(column),
                "22003");
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
        if (value instanceof Double || value instanceof Float) {
            if (!Double.isFinite(value.doubleValue())) {
                throw new SQLDataException("Column " + this.metaData.getColumnLabel(column) + " holds " + value
                        + ", which has no BigDecimal form", "22003");
            }
            // a float's shortest decimal form, as the server writes it
            return new BigDecimal(value.toString());
        }
        return BigDecimal.valueOf(value.longValue());
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
    public void close() {
        // The stream belongs to the COPY's owner, which ends it so the connection can serve again; a row mapper
        // closing the rows must not cut it short.
        this.closed = true;
    }

    /** Decodes one value of a type whose binary form has a fixed size. */
    @FunctionalInterface
    private interface FixedDecoder {

        Object decode(DataInputStream data) throws IOException;

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

        /** An array of the element class the driver gives for the type, such as {@code String[]} for text. */
        private Object[] newArray(int size) {
            Class<?> type = switch (this.elementType) {
                case "bool" -> Boolean.class;
                case "int2", "smallserial" -> Short.class;
                case "int4", "serial" -> Integer.class;
                case "int8", "bigserial", "oid" -> Long.class;
                case "float4" -> Float.class;
                case "float8" -> Double.class;
                case "numeric" -> BigDecimal.class;
                case "text", "varchar", "bpchar", "name", "json", "jsonb", "unknown", "xml" -> String.class;
                case "bytea" -> byte[].class;
                case "uuid" -> UUID.class;
                case "date" -> java.sql.Date.class;
                case "time" -> java.sql.Time.class;
                case "timestamp", "timestamptz" -> Timestamp.class;
                default -> Object.class;
            };
            return (Object[]) java.lang.reflect.Array.newInstance(type, size);
        }

        @Override
        public Object decode(DataInputStream data, int length) throws IOException, SQLException {
            int dimensions = data.readInt();
            data.readInt();
            data.readInt();
            if (dimensions == 0) {
                return newArray(0);
            }
            if (dimensions != 1) {
                throw new SQLFeatureNotSupportedException("An array of " + dimensions + " dimensions is not read "
                        + "into objects; select it as text or unnest it");
            }
            int size = data.readInt();
            data.readInt();
            Object[] elements = newArray(size);
            for (int i = 0; i < size; i++) {
                int elementLength = data.readInt();
                Object value = (elementLength < 0) ? null : jdbcValue(this.element.decode(data, elementLength));
                if (value instanceof Integer small && this.elementType.equals("int2")) {
                    value = small.shortValue();
                }
                if (value != null && !elements.getClass().getComponentType().isInstance(value)) {
                    // a numeric NaN among BigDecimals
                    elements = Arrays.copyOf(elements, size, Object[].class);
                }
                elements[i] = value;
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
