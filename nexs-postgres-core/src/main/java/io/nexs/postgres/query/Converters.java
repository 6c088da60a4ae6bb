package io.nexs.postgres.query;

import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.postgresql.util.PGobject;

import io.nexs.postgres.query.ResultColumn.SqlKind;

/**
 * The readers that take one column of the current row to one Java type. Which reader a column gets is decided
 * once per plan from the column's PostgreSQL type and the property's Java type; the readers themselves only call
 * the driver's getter for the column index they were made for, and convert.
 *
 * <p>Every reader returns {@code null} for SQL NULL, also for primitive targets: the plan decides what NULL
 * means for the property. Error messages name the column, its SQL type and the property, never the value.
 */
final class Converters {

    private Converters() {
    }

    /**
     * Reads a column as a value of a type.
     * @param column the column
     * @param type the Java type, possibly generic; a primitive is read as its wrapper
     * @param slot where the value goes, for messages
     * @param json the JSON codec, if any
     * @return the reader
     * @throws RowMappingException when the column's type cannot be read into the Java type
     */
    static ValueReader reader(ResultColumn column, Type type, Slot slot, @Nullable JsonCodec json) {
        Class<?> raw = box(TargetModel.rawClass(type));
        int i = column.index();
        SqlKind kind = column.kind();
        if (raw == String.class) {
            return (rs) -> rs.getString(i);
        }
        if (kind == SqlKind.JSON) {
            return json(column, type, raw, slot, json);
        }
        if (raw == Object.class) {
            return (rs) -> rs.getObject(i);
        }
        ValueReader reader = scalar(column, raw, slot);
        if (reader != null) {
            return reader;
        }
        if (raw.isEnum()) {
            if (kind != SqlKind.TEXT && kind != SqlKind.OTHER) {
                throw incompatible(column, slot, "");
            }
            EnumConstants constants = new EnumConstants(raw);
            return (rs) -> {
                String name = rs.getString(i);
                return (name != null) ? constants.valueOf(name, column, slot) : null;
            };
        }
        if (isContainer(raw)) {
            if (kind != SqlKind.ARRAY) {
                throw incompatible(column, slot, "; only a PostgreSQL array or a json column reads into it");
            }
            ContainerBuilder builder = container(type, column.elementKind(), column, slot);
            return (rs) -> {
                Array array = rs.getArray(i);
                if (array == null) {
                    return null;
                }
                try {
                    return builder.build((Object[]) array.getArray());
                }
                finally {
                    array.free();
                }
            };
        }
        if (!TargetModel.isValueType(raw)) {
            throw incompatible(column, slot, "; select it as json, or its columns with a prefix");
        }
        // another platform or driver type (java.sql.Timestamp, PGInterval, Number...): the driver's own object,
        // checked per row since its class shows only then
        Class<?> target = raw;
        return (rs) -> {
            Object value = rs.getObject(i);
            if (value != null && !target.isInstance(value)) {
                throw new RowMappingException(slot.source() + " is read by the driver as "
                        + value.getClass().getName() + ", which is not " + slot.target());
            }
            return value;
        };
    }

    private static @Nullable ValueReader scalar(ResultColumn column, Class<?> raw, Slot slot) {
        int i = column.index();
        SqlKind kind = column.kind();
        if (raw == Integer.class) {
            if (kind == SqlKind.INT2 || kind == SqlKind.INT4) {
                return (rs) -> {
                    int value = rs.getInt(i);
                    return (value == 0 && rs.wasNull()) ? null : Integer.valueOf(value);
                };
            }
            ValueReader whole = wholeNumber(column, slot);
            return (rs) -> {
                Long value = (Long) whole.read(rs);
                if (value == null) {
                    return null;
                }
                if (value != value.intValue()) {
                    throw outOfRange(column, slot, "int");
                }
                return value.intValue();
            };
        }
        if (raw == Long.class) {
            if (kind.isInteger()) {
                return (rs) -> {
                    long value = rs.getLong(i);
                    return (value == 0 && rs.wasNull()) ? null : Long.valueOf(value);
                };
            }
            return wholeNumber(column, slot);
        }
        if (raw == Short.class) {
            ValueReader whole = wholeNumber(column, slot);
            return (rs) -> {
                Long value = (Long) whole.read(rs);
                if (value == null) {
                    return null;
                }
                if (value != value.shortValue()) {
                    throw outOfRange(column, slot, "short");
                }
                return value.shortValue();
            };
        }
        if (raw == Byte.class) {
            ValueReader whole = wholeNumber(column, slot);
            return (rs) -> {
                Long value = (Long) whole.read(rs);
                if (value == null) {
                    return null;
                }
                if (value != value.byteValue()) {
                    throw outOfRange(column, slot, "byte");
                }
                return value.byteValue();
            };
        }
        if (raw == Double.class) {
            if (kind.isNumber()) {
                return (rs) -> {
                    double value = rs.getDouble(i);
                    return (value == 0 && rs.wasNull()) ? null : Double.valueOf(value);
                };
            }
            return parsed(column, slot, "is not a number", Double::valueOf);
        }
        if (raw == Float.class) {
            if (kind.isNumber()) {
                return (rs) -> {
                    float value = rs.getFloat(i);
                    return (value == 0 && rs.wasNull()) ? null : Float.valueOf(value);
                };
            }
            return parsed(column, slot, "is not a number", Float::valueOf);
        }
        if (raw == BigDecimal.class) {
            if (kind.isNumber()) {
                return (rs) -> rs.getBigDecimal(i);
            }
            return parsed(column, slot, "is not a number", BigDecimal::new);
        }
        if (raw == BigInteger.class) {
            if (kind == SqlKind.NUMERIC) {
                return (rs) -> {
                    BigDecimal value = rs.getBigDecimal(i);
                    if (value == null) {
                        return null;
                    }
                    try {
                        return value.toBigIntegerExact();
                    }
                    catch (ArithmeticException ex) {
                        throw badValue(column, slot, "is not a whole number", ex);
                    }
                };
            }
            if (kind.isInteger()) {
                return (rs) -> {
                    long value = rs.getLong(i);
                    return (value == 0 && rs.wasNull()) ? null : BigInteger.valueOf(value);
                };
            }
            return parsed(column, slot, "is not a whole number", BigInteger::new);
        }
        if (raw == Boolean.class) {
            return bool(column, slot);
        }
        if (raw == Character.class) {
            if (kind != SqlKind.TEXT) {
                throw incompatible(column, slot, "");
            }
            return (rs) -> {
                String value = rs.getString(i);
                if (value == null) {
                    return null;
                }
                if (value.length() != 1) {
                    throw badValue(column, slot, "is not a single character", null);
                }
                return value.charAt(0);
            };
        }
        if (raw == UUID.class) {
            if (kind == SqlKind.UUID) {
                return (rs) -> rs.getObject(i, UUID.class);
            }
            if (kind == SqlKind.TEXT) {
                return (rs) -> {
                    String value = rs.getString(i);
                    if (value == null) {
                        return null;
                    }
                    try {
                        return UUID.fromString(value);
                    }
                    catch (IllegalArgumentException ex) {
                        // the exception quotes the text, so it is not kept as the cause
                        throw badValue(column, slot, "is not a UUID", null);
                    }
                };
            }
            throw incompatible(column, slot, "");
        }
        if (raw == byte[].class) {
            if (kind != SqlKind.BYTEA) {
                throw incompatible(column, slot, "; only bytea reads into byte[]");
            }
            return (rs) -> rs.getBytes(i);
        }
        return temporal(column, raw, slot);
    }

    /**
     * Reads a whole number as a {@code Long}, from any numeric or text column, failing when that would lose a
     * fraction.
     */
    private static ValueReader wholeNumber(ResultColumn column, Slot slot) {
        int i = column.index();
        return switch (column.kind()) {
            case INT2, INT4, INT8 -> (rs) -> {
                long value = rs.getLong(i);
                return (value == 0 && rs.wasNull()) ? null : Long.valueOf(value);
            };
            case NUMERIC -> (rs) -> {
                BigDecimal value = rs.getBigDecimal(i);
                if (value == null) {
                    return null;
                }
                try {
                    return value.longValueExact();
                }
                catch (ArithmeticException ex) {
                    throw badValue(column, slot, "is not a whole number in the range of long", ex);
                }
            };
            case FLOAT4, FLOAT8 -> (rs) -> {
                double value = rs.getDouble(i);
                if (value == 0 && rs.wasNull()) {
                    return null;
                }
                if (value != Math.rint(value) || value < Long.MIN_VALUE || value >= 0x1p63) {
                    throw badValue(column, slot, "is not a whole number in the range of long", null);
                }
                return (long) value;
            };
            case TEXT -> parsed(column, slot, "is not a whole number", (text) -> Long.valueOf(text.trim()));
            default -> throw incompatible(column, slot, "");
        };
    }

    private static ValueReader parsed(ResultColumn column, Slot slot, String reason, Parser parser) {
        if (column.kind() != SqlKind.TEXT) {
            throw incompatible(column, slot, "");
        }
        int i = column.index();
        return (rs) -> {
            String text = rs.getString(i);
            if (text == null) {
                return null;
            }
            try {
                return parser.parse(text.trim());
            }
            catch (NumberFormatException ex) {
                throw badValue(column, slot, reason, withoutValue(ex));
            }
        };
    }

    private static ValueReader bool(ResultColumn column, Slot slot) {
        int i = column.index();
        return switch (column.kind()) {
            case BOOL -> (rs) -> {
                boolean value = rs.getBoolean(i);
                return (!value && rs.wasNull()) ? null : Boolean.valueOf(value);
            };
            case INT2, INT4, INT8 -> (rs) -> {
                long value = rs.getLong(i);
                if (value == 0 && rs.wasNull()) {
                    return null;
                }
                if (value != 0 && value != 1) {
                    throw badValue(column, slot, "is neither 0 nor 1", null);
                }
                return value == 1;
            };
            case TEXT -> (rs) -> {
                String text = rs.getString(i);
                if (text == null) {
                    return null;
                }
                // the literals PostgreSQL itself accepts for boolean
                return switch (text.trim().toLowerCase(Locale.ROOT)) {
                    case "t", "true", "y", "yes", "on", "1" -> Boolean.TRUE;
                    case "f", "false", "n", "no", "off", "0" -> Boolean.FALSE;
                    default -> throw badValue(column, slot, "is not a boolean literal", null);
                };
            };
            default -> throw incompatible(column, slot, "");
        };
    }

    private static @Nullable ValueReader temporal(ResultColumn column, Class<?> raw, Slot slot) {
        int i = column.index();
        SqlKind kind = column.kind();
        if (raw == LocalDate.class) {
            return switch (kind) {
                case DATE -> (rs) -> rs.getObject(i, LocalDate.class);
                case TIMESTAMP -> (rs) -> {
                    LocalDateTime value = rs.getObject(i, LocalDateTime.class);
                    return (value != null) ? value.toLocalDate() : null;
                };
                default -> throw incompatible(column, slot, "");
            };
        }
        if (raw == LocalTime.class) {
            return switch (kind) {
                case TIME -> (rs) -> rs.getObject(i, LocalTime.class);
                case TIMESTAMP -> (rs) -> {
                    LocalDateTime value = rs.getObject(i, LocalDateTime.class);
                    return (value != null) ? value.toLocalTime() : null;
                };
                default -> throw incompatible(column, slot, "");
            };
        }
        if (raw == LocalDateTime.class) {
            return switch (kind) {
                case TIMESTAMP -> (rs) -> rs.getObject(i, LocalDateTime.class);
                case DATE -> (rs) -> {
                    LocalDate value = rs.getObject(i, LocalDate.class);
                    return (value != null) ? value.atStartOfDay() : null;
                };
                // the wall-clock time in UTC, the zone the mapper reads timestamp without time zone in
                case TIMESTAMPTZ -> (rs) -> {
                    OffsetDateTime value = rs.getObject(i, OffsetDateTime.class);
                    return (value != null) ? value.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime() : null;
                };
                default -> throw incompatible(column, slot, "");
            };
        }
        if (raw == OffsetDateTime.class || raw == Instant.class || raw == ZonedDateTime.class) {
            ValueReader offset = switch (kind) {
                case TIMESTAMPTZ -> (rs) -> rs.getObject(i, OffsetDateTime.class);
                // timestamp without time zone is taken to be in UTC
                case TIMESTAMP -> (rs) -> {
                    LocalDateTime value = rs.getObject(i, LocalDateTime.class);
                    return (value != null) ? value.atOffset(ZoneOffset.UTC) : null;
                };
                default -> throw incompatible(column, slot, "");
            };
            if (raw == OffsetDateTime.class) {
                return offset;
            }
            if (raw == Instant.class) {
                return (rs) -> {
                    OffsetDateTime value = (OffsetDateTime) offset.read(rs);
                    return (value != null) ? value.toInstant() : null;
                };
            }
            return (rs) -> {
                OffsetDateTime value = (OffsetDateTime) offset.read(rs);
                return (value != null) ? value.toZonedDateTime() : null;
            };
        }
        if (raw == OffsetTime.class) {
            if (kind != SqlKind.TIMETZ) {
                throw incompatible(column, slot, "");
            }
            return (rs) -> rs.getObject(i, OffsetTime.class);
        }
        return null;
    }

    private static ValueReader json(ResultColumn column, Type type, Class<?> raw, Slot slot,
            @Nullable JsonCodec codec) {
        int i = column.index();
        if (raw == Object.class && codec == null) {
            return (rs) -> rs.getObject(i);
        }
        if (isScalar(raw)) {
            throw incompatible(column, slot, "; read it into a String, a Map, a List or a record");
        }
        if (codec == null) {
            throw new RowMappingException(slot.source() + " is read into " + slot.target()
                    + ", which needs a JSON library: add tools.jackson.core:jackson-databind to the application "
                    + "(or configure a JsonCodec), or read the column into a String");
        }
        return (rs) -> {
            String document = rs.getString(i);
            if (document == null) {
                return null;
            }
            try {
                return codec.read(document, type);
            }
            catch (IllegalArgumentException ex) {
                // the codec's contract keeps the document out of its messages
                throw new RowMappingException(slot.source() + " holds a document that does not bind to "
                        + slot.target() + ": " + ex.getMessage(), ex);
            }
            catch (RuntimeException ex) {
                throw new RowMappingException(slot.source() + " holds a document that does not bind to "
                        + slot.target() + " (" + ex.getClass().getName() + ")");
            }
        };
    }

    // ---- arrays and collections ----

    private static boolean isContainer(Class<?> raw) {
        return (raw.isArray() && raw != byte[].class) || raw == java.util.List.class || raw == Collection.class
                || raw == Iterable.class || raw == Set.class;
    }

    private static ContainerBuilder container(Type type, SqlKind elementKind, ResultColumn column, Slot slot) {
        Class<?> raw = TargetModel.rawClass(type);
        if (raw.isArray()) {
            Type elementType = (type instanceof java.lang.reflect.GenericArrayType array)
                    ? array.getGenericComponentType() : raw.getComponentType();
            Class<?> component = raw.getComponentType();
            ElementConverter converter = element(elementType, elementKind, column, slot);
            if (component.isPrimitive()) {
                return primitiveArray(component, converter, column, slot);
            }
            return (source) -> {
                // the driver's array is ours: when it already has the right class, convert in place
                Object[] target = raw.isInstance(source) ? source
                        : (Object[]) java.lang.reflect.Array.newInstance(component, source.length);
                for (int k = 0; k < source.length; k++) {
                    Object element = source[k];
                    target[k] = (element != null) ? converter.convert(element) : null;
                }
                return target;
            };
        }
        ElementConverter converter = element(TargetModel.typeArgument(type, 0), elementKind, column, slot);
        boolean set = raw == Set.class;
        return (source) -> {
            Object[] target = new Object[source.length];
            for (int k = 0; k < source.length; k++) {
                Object element = source[k];
                target[k] = (element != null) ? converter.convert(element) : null;
            }
            return set ? Collections.unmodifiableSet(new LinkedHashSet<>(Arrays.asList(target)))
                    : Collections.unmodifiableList(Arrays.asList(target));
        };
    }

    private static ContainerBuilder primitiveArray(Class<?> component, ElementConverter converter,
            ResultColumn column, Slot slot) {
        if (component == int.class) {
            return (source) -> {
                int[] target = new int[source.length];
                for (int k = 0; k < source.length; k++) {
                    target[k] = (Integer) converter.convert(nonNull(source[k], column, slot));
                }
                return target;
            };
        }
        if (component == long.class) {
            return (source) -> {
                long[] target = new long[source.length];
                for (int k = 0; k < source.length; k++) {
                    target[k] = (Long) converter.convert(nonNull(source[k], column, slot));
                }
                return target;
            };
        }
        if (component == double.class) {
            return (source) -> {
                double[] target = new double[source.length];
                for (int k = 0; k < source.length; k++) {
                    target[k] = (Double) converter.convert(nonNull(source[k], column, slot));
                }
                return target;
            };
        }
        return (source) -> {
            Object target = java.lang.reflect.Array.newInstance(component, source.length);
            for (int k = 0; k < source.length; k++) {
                java.lang.reflect.Array.set(target, k, converter.convert(nonNull(source[k], column, slot)));
            }
            return target;
        };
    }

    private static Object nonNull(@Nullable Object element, ResultColumn column, Slot slot) {
        if (element == null) {
            throw new RowMappingException(slot.source() + " holds an array with a NULL element, but "
                    + slot.target() + " has primitive elements; use an array of wrappers or a List");
        }
        return element;
    }

    /**
     * Converts the elements the driver returns for an array ({@code Integer}, {@code String},
     * {@code java.sql.Timestamp}...) to the target's element type.
     */
    private static ElementConverter element(Type elementType, SqlKind elementKind, ResultColumn column,
            Slot slot) {
        Class<?> raw = TargetModel.rawClass(elementType);
        Class<?> target = box(raw);
        if (isContainer(raw)) {
            ContainerBuilder nested = container(elementType, elementKind, column, slot);
            return (element) -> {
                if (element instanceof Object[] array) {
                    return nested.build(array);
                }
                throw elementMismatch(element, column, slot);
            };
        }
        if (target == Integer.class || target == Long.class || target == Short.class || target == Byte.class) {
            long min = (target == Integer.class) ? Integer.MIN_VALUE : (target == Short.class) ? Short.MIN_VALUE
                    : (target == Byte.class) ? Byte.MIN_VALUE : Long.MIN_VALUE;
            long max = (target == Integer.class) ? Integer.MAX_VALUE : (target == Short.class) ? Short.MAX_VALUE
                    : (target == Byte.class) ? Byte.MAX_VALUE : Long.MAX_VALUE;
            return (element) -> {
                if (target.isInstance(element)) {
                    return element;
                }
                long value = wholeElement(element, column, slot);
                if (value < min || value > max) {
                    throw outOfRange(column, slot, raw.getSimpleName());
                }
                if (target == Integer.class) {
                    return (int) value;
                }
                if (target == Long.class) {
                    return value;
                }
                return (target == Short.class) ? (Object) (short) value : (Object) (byte) value;
            };
        }
        if (target == Double.class || target == Float.class) {
            boolean isDouble = target == Double.class;
            return (element) -> {
                if (target.isInstance(element)) {
                    return element;
                }
                double value;
                if (element instanceof Number number) {
                    value = number.doubleValue();
                }
                else if (element instanceof String text) {
                    try {
                        value = Double.parseDouble(text.trim());
                    }
                    catch (NumberFormatException ex) {
                        throw badValue(column, slot, "has an element that is not a number", withoutValue(ex));
                    }
                }
                else {
                    throw elementMismatch(element, column, slot);
                }
                return isDouble ? (Object) value : (Object) (float) value;
            };
        }
        if (target == BigDecimal.class) {
            return (element) -> {
                if (element instanceof BigDecimal) {
                    return element;
                }
                if (element instanceof Long || element instanceof Integer || element instanceof Short) {
                    return BigDecimal.valueOf(((Number) element).longValue());
                }
                if (element instanceof Double || element instanceof Float) {
                    return BigDecimal.valueOf(((Number) element).doubleValue());
                }
                if (element instanceof BigInteger integer) {
                    return new BigDecimal(integer);
                }
                throw elementMismatch(element, column, slot);
            };
        }
        if (target == BigInteger.class) {
            return (element) -> {
                if (element instanceof BigInteger) {
                    return element;
                }
                return BigInteger.valueOf(wholeElement(element, column, slot));
            };
        }
        if (target == String.class) {
            return (element) -> {
                if (element instanceof String) {
                    return element;
                }
                if (element instanceof PGobject object) {
                    return object.getValue();
                }
                return element.toString();
            };
        }
        if (target == UUID.class) {
            return (element) -> {
                if (element instanceof UUID) {
                    return element;
                }
                if (element instanceof String text) {
                    try {
                        return UUID.fromString(text);
                    }
                    catch (IllegalArgumentException ex) {
                        throw badValue(column, slot, "has an element that is not a UUID", null);
                    }
                }
                throw elementMismatch(element, column, slot);
            };
        }
        if (raw.isEnum()) {
            EnumConstants constants = new EnumConstants(raw);
            return (element) -> {
                if (raw.isInstance(element)) {
                    return element;
                }
                String name = (element instanceof PGobject object) ? object.getValue() : element.toString();
                return constants.valueOf((name != null) ? name : "", column, slot);
            };
        }
        if (target == LocalDate.class) {
            return (element) -> {
                if (element instanceof java.sql.Date date) {
                    return date.toLocalDate();
                }
                return asIs(element, target, column, slot);
            };
        }
        if (target == LocalTime.class) {
            return (element) -> {
                if (element instanceof java.sql.Time time) {
                    return time.toLocalTime();
                }
                return asIs(element, target, column, slot);
            };
        }
        if (target == LocalDateTime.class) {
            return (element) -> {
                if (element instanceof Timestamp timestamp) {
                    return timestamp.toLocalDateTime();
                }
                return asIs(element, target, column, slot);
            };
        }
        if (target == Instant.class || target == OffsetDateTime.class) {
            // the driver builds a timestamptz element at its instant, a timestamp element at its wall-clock time
            // in the JVM's zone, which is read back as UTC like a timestamp column
            boolean zoned = elementKind == SqlKind.TIMESTAMPTZ;
            boolean instant = target == Instant.class;
            return (element) -> {
                if (element instanceof Timestamp timestamp) {
                    Instant value = zoned ? timestamp.toInstant()
                            : timestamp.toLocalDateTime().toInstant(ZoneOffset.UTC);
                    return instant ? value : value.atOffset(ZoneOffset.UTC);
                }
                return asIs(element, target, column, slot);
            };
        }
        return (element) -> asIs(element, target, column, slot);
    }

    private static Object asIs(Object element, Class<?> target, ResultColumn column, Slot slot) {
        if (target.isInstance(element)) {
            return element;
        }
        throw elementMismatch(element, column, slot);
    }

    private static long wholeElement(Object element, ResultColumn column, Slot slot) {
        if (element instanceof Long || element instanceof Integer || element instanceof Short
                || element instanceof Byte) {
            return ((Number) element).longValue();
        }
        if (element instanceof BigDecimal decimal) {
            try {
                return decimal.longValueExact();
            }
            catch (ArithmeticException ex) {
                throw badValue(column, slot, "has an element that is not a whole number in the range of long", ex);
            }
        }
        if (element instanceof Double || element instanceof Float) {
            double value = ((Number) element).doubleValue();
            if (value != Math.rint(value) || value < Long.MIN_VALUE || value >= 0x1p63) {
                throw badValue(column, slot, "has an element that is not a whole number in the range of long",
                        null);
            }
            return (long) value;
        }
        if (element instanceof String text) {
            try {
                return Long.parseLong(text.trim());
            }
            catch (NumberFormatException ex) {
                throw badValue(column, slot, "has an element that is not a whole number", withoutValue(ex));
            }
        }
        throw elementMismatch(element, column, slot);
    }

    // ---- types ----

    /**
     * The wrapper of a primitive type, other types as they are.
     * @param type a type
     * @return its wrapper
     */
    static Class<?> box(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        if (type == int.class) {
            return Integer.class;
        }
        if (type == long.class) {
            return Long.class;
        }
        if (type == boolean.class) {
            return Boolean.class;
        }
        if (type == double.class) {
            return Double.class;
        }
        if (type == float.class) {
            return Float.class;
        }
        if (type == short.class) {
            return Short.class;
        }
        if (type == byte.class) {
            return Byte.class;
        }
        if (type == char.class) {
            return Character.class;
        }
        return Void.class;
    }

    /** Types a single column value reads into but a JSON document does not. */
    private static boolean isScalar(Class<?> type) {
        return type.isPrimitive() || Number.class.isAssignableFrom(type) || type == Boolean.class
                || type == Character.class || type == UUID.class || type.isEnum() || type == byte[].class
                || type.getName().startsWith("java.time.") || java.util.Date.class.isAssignableFrom(type);
    }

    // ---- messages: names and types, never values ----

    private static RowMappingException incompatible(ResultColumn column, Slot slot, String hint) {
        return new RowMappingException("Column " + column.describe() + " cannot be read into " + slot.target()
                + hint);
    }

    private static RowMappingException badValue(ResultColumn column, Slot slot, String reason,
            @Nullable Throwable cause) {
        return new RowMappingException("Column " + column.describe() + " holds a value that " + reason
                + ", so it cannot be read into " + slot.target(), cause);
    }

    private static RowMappingException outOfRange(ResultColumn column, Slot slot, String type) {
        return new RowMappingException("Column " + column.describe() + " holds a value outside the range of "
                + type + ", so it cannot be read into " + slot.target());
    }

    private static RowMappingException elementMismatch(Object element, ResultColumn column, Slot slot) {
        return new RowMappingException("Column " + column.describe() + " holds an array whose elements the "
                + "driver reads as " + element.getClass().getName() + ", which cannot be read into "
                + slot.target());
    }

    /**
     * The JDK's number parsers quote the text in their message; this keeps the stack trace and drops the text.
     */
    private static NumberFormatException withoutValue(NumberFormatException ex) {
        NumberFormatException clean = new NumberFormatException("the text is not a number of the expected form");
        clean.setStackTrace(ex.getStackTrace());
        return clean;
    }

    /**
     * Translates a driver exception raised while reading a column. A data exception (SQLState class 22, or a
     * type mismatch) is the value's fault and its message may quote the value, so it becomes a
     * {@link RowMappingException} without it; other failures are the connection's and pass unchanged.
     * @param slot where the value was going
     * @param ex the driver's exception
     * @return the translation, or {@code null} to rethrow the exception as it is
     */
    static @Nullable RowMappingException dataError(Slot slot, SQLException ex) {
        String state = ex.getSQLState();
        if (slot.column() == null || state == null
                || !(state.startsWith("22") || "42804".equals(state) || "42821".equals(state))) {
            return null;
        }
        return new RowMappingException(slot.source() + " holds a value the driver cannot convert (SQLState "
                + state + "), so it cannot be read into " + slot.target());
    }

    /**
     * The NULL-into-primitive failure.
     * @param slot the primitive property
     * @return the exception
     */
    static RowMappingException nullIntoPrimitive(Slot slot) {
        String primitive = TargetModel.describe(slot.type());
        String wrapper = box(TargetModel.rawClass(slot.type())).getSimpleName();
        if (slot.path() == null) {
            return new RowMappingException(slot.source() + " is NULL but the result type is the primitive "
                    + primitive + "; use " + wrapper);
        }
        return new RowMappingException(slot.source() + " is NULL but " + slot.path() + " is the primitive "
                + primitive + "; use " + wrapper + " or Optional<" + wrapper + ">");
    }

    /**
     * Parses a text column's value.
     */
    @FunctionalInterface
    private interface Parser {

        Object parse(String text);

    }

    /**
     * Converts one non-null array element.
     */
    @FunctionalInterface
    private interface ElementConverter {

        Object convert(Object element);

    }

    /**
     * Builds an array or collection from the driver's array of elements.
     */
    @FunctionalInterface
    private interface ContainerBuilder {

        Object build(Object[] source);

    }

    /**
     * The constants of an enum by name.
     */
    private static final class EnumConstants {

        private final Class<?> type;

        private final Map<String, Object> byName = new HashMap<>();

        EnumConstants(Class<?> type) {
            this.type = type;
            for (Object constant : type.getEnumConstants()) {
                this.byName.put(((Enum<?>) constant).name(), constant);
            }
        }

        Object valueOf(String name, ResultColumn column, Slot slot) {
            Object constant = this.byName.get(name);
            if (constant == null) {
                StringJoiner names = new StringJoiner(", ");
                for (Object each : this.type.getEnumConstants()) {
                    names.add(((Enum<?>) each).name());
                }
                // Enum.valueOf's exception would quote the value, so the reason is given in our words
                throw new RowMappingException("Column " + column.describe() + " holds a value that is not a "
                        + "constant of " + this.type.getSimpleName() + " (" + names + "), so it cannot be read into "
                        + slot.target());
            }
            return constant;
        }

    }

}
