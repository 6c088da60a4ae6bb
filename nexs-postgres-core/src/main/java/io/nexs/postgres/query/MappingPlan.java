package io.nexs.postgres.query;

import java.lang.invoke.MethodHandle;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.jspecify.annotations.Nullable;

import io.nexs.postgres.query.TargetModel.Kind;
import io.nexs.postgres.query.TargetModel.Property;
import io.nexs.postgres.query.TargetModel.Wrapping;

/**
 * How rows of one result shape become instances of one target class: for each property, the column index, the
 * converter and the constructor argument or setter it goes to. Built once per class and shape, then applied to
 * every row without reflection, name lookups or string work. Immutable and thread-safe.
 */
final class MappingPlan {

    private final ValueReader root;

    private MappingPlan(ValueReader root) {
        this.root = root;
    }

    /**
     * Builds the plan of a target for a result shape.
     * @param model the target
     * @param shape the result's columns
     * @param unmappedColumns what to do with columns no property takes
     * @param json the JSON codec, if any
     * @param compile whether to compile the top level into a method handle run by a hidden class (see
     * {@link PlanCompiler}); the interpreted plan does the same, only slower
     * @return the plan
     * @throws RowMappingException when the result cannot be mapped to the target
     */
    static MappingPlan build(TargetModel model, ResultShape shape, UnmappedColumns unmappedColumns,
            @Nullable JsonCodec json, boolean compile) {
        return new Builder(model, shape, unmappedColumns, json, compile).build();
    }

    /**
     * Maps the current row.
     * @param rs the result set, on a row of the plan's shape
     * @return the mapped row
     * @throws SQLException when the driver fails
     */
    @Nullable Object read(ResultSet rs) throws SQLException {
        return this.root.read(rs);
    }

    /**
     * Whether the top level runs compiled, in a hidden class (see {@link PlanCompiler}).
     * @return {@code true} when compiled
     */
    boolean isCompiled() {
        return this.root.getClass().isHidden();
    }

    /**
     * Translates a driver failure while reading a slot's column: data errors become a {@link RowMappingException}
     * (thrown), others are returned to be rethrown.
     */
    static SQLException readFailure(Slot slot, SQLException ex) {
        RowMappingException mapped = Converters.dataError(slot, ex);
        if (mapped != null) {
            throw mapped;
        }
        return ex;
    }

    /** Applies a slot's wrapping to the value read for it. */
    static @Nullable Object wrap(Slot slot, @Nullable Object value) {
        return switch (slot.wrapping()) {
            case NONE -> value;
            case PRIMITIVE -> {
                if (value == null) {
                    throw Converters.nullIntoPrimitive(slot);
                }
                yield value;
            }
            case OPTIONAL -> Optional.ofNullable(value);
            case OPTIONAL_INT -> (value != null) ? OptionalInt.of((Integer) value) : OptionalInt.empty();
            case OPTIONAL_LONG -> (value != null) ? OptionalLong.of((Long) value) : OptionalLong.empty();
            case OPTIONAL_DOUBLE -> (value != null) ? OptionalDouble.of((Double) value) : OptionalDouble.empty();
        };
    }

    /**
     * Matches the result's columns to the target's properties, once.
     */
    private static final class Builder {

        private final TargetModel model;

        private final ResultShape shape;

        private final ResultColumn[] columns;

        /** The property path that took each column, so that no column feeds two properties. */
        private final @Nullable String[] claims;

        private final UnmappedColumns unmappedColumns;

        private final @Nullable JsonCodec json;

        private final boolean compile;

        Builder(TargetModel model, ResultShape shape, UnmappedColumns unmappedColumns, @Nullable JsonCodec json,
                boolean compile) {
            this.compile = compile;
            this.model = model;
            this.shape = shape;
            this.columns = shape.columns();
            this.claims = new String[this.columns.length];
            this.unmappedColumns = unmappedColumns;
            this.json = json;
        }

        MappingPlan build() {
            Class<?> type = this.model.type();
            if (this.model.kind() == Kind.VALUE) {
                if (this.columns.length != 1) {
                    throw new RowMappingException("Cannot map the result to " + type.getSimpleName()
                            + ": a simple type is read from exactly one column, but the result has "
                            + this.columns.length + " (" + this.shape.labels()
                            + "); select a single column, or map the rows to a record");
                }
                return new MappingPlan(single(type));
            }
            if (isWholeDocument()) {
                return new MappingPlan(single(type));
            }
            String owner = type.getSimpleName();
            ValueReader root = struct(this.model, owner, "", "", false);
            if (this.unmappedColumns == UnmappedColumns.FAIL) {
                for (ResultColumn column : this.columns) {
                    if (this.claims[column.index() - 1] == null) {
                        throw new RowMappingException("Cannot map the row to " + owner + ": column "
                                + column.describe() + " matches no property of " + owner + "; alias it to a "
                                + "property's name, remove it from the query, or map with UnmappedColumns.IGNORE");
                    }
                }
            }
            return new MappingPlan(root);
        }

        private ValueReader single(Class<?> type) {
            ResultColumn column = this.columns[0];
            Slot slot = new Slot(null, type, type.isPrimitive() ? Wrapping.PRIMITIVE : Wrapping.NONE, column);
            return new SingleColumnReader(Converters.reader(column, type, slot, this.json), slot);
        }

        /**
         * A lone json column that no property claims is the whole object as one document
         * ({@code select doc from documents}).
         */
        private boolean isWholeDocument() {
            if (this.columns.length != 1 || this.columns[0].kind() != ResultColumn.SqlKind.JSON) {
                return false;
            }
            for (Property property : this.model.properties()) {
                if (matches(property, this.columns[0], "", "")) {
                    return false;
                }
            }
            return true;
        }

        /**
         * The reader of a record or bean whose columns carry a prefix; {@code null} for a nested object none of
         * whose columns are in the result.
         */
        private @Nullable ValueReader struct(TargetModel target, String path, String normalisedPrefix,
                String prefix, boolean nested) {
            List<ValueReader> readers = new ArrayList<>();
            List<Slot> slots = new ArrayList<>();
            List<MethodHandle> setters = new ArrayList<>();
            List<Property> taken = new ArrayList<>();
            List<RowMappingException> missing = new ArrayList<>();
            for (Property property : target.properties()) {
                String propertyPath = path + "." + property.name();
                ResultColumn direct = find(property, normalisedPrefix, prefix, propertyPath);
                TargetModel nestedModel = property.nested();
                ValueReader reader = null;
                Slot slot;
                if (nestedModel != null
                        && (property.prefix() != null || (property.column() == null && direct == null))) {
                    String nestedPrefix = (property.prefix() != null) ? property.prefix()
                            : property.snakeName() + "_";
                    slot = new Slot(propertyPath, property.type(), property.wrapping(), null);
                    reader = struct(nestedModel, propertyPath,
                            normalisedPrefix + ResultColumn.normalise(nestedPrefix),
                            prefix + nestedPrefix.toLowerCase(Locale.ROOT), true);
                    if (reader == null) {
                        missing.add(missing("columns prefixed \"" + prefix + nestedPrefix + "\"", propertyPath));
                    }
                }
                else if (direct != null) {
                    claim(direct, propertyPath);
                    slot = new Slot(propertyPath, property.type(), property.wrapping(), direct);
                    reader = Converters.reader(direct, property.valueType(), slot, this.json);
                }
                else {
                    String label = (property.column() != null) ? property.column() : property.snakeName();
                    missing.add(missing("\"" + prefix + label + "\"", propertyPath));
                    continue;
                }
                if (reader != null) {
                    readers.add(reader);
                    slots.add(slot);
                    setters.add(property.setter());
                    taken.add(property);
                }
            }
            if (nested && readers.isEmpty()) {
                return null;
            }
            if (target.kind() == Kind.RECORD && !missing.isEmpty()) {
                // every component is a constructor argument; there is no default to leave
                throw missing.get(0);
            }
            ValueReader[] readerArray = readers.toArray(new ValueReader[0]);
            Slot[] slotArray = slots.toArray(new Slot[0]);
            if (!nested && this.compile) {
                // the top level runs once per row: compile it; nested objects stay interpreted, since their
                // all-NULL check needs every value before constructing
                ValueReader compiled = PlanCompiler.compile(target, taken.toArray(new Property[0]), readerArray,
                        slotArray);
                if (compiled != null) {
                    return compiled;
                }
            }
            if (target.kind() == Kind.RECORD) {
                return new RecordReader(target.type(), target.constructor(), readerArray, slotArray, nested);
            }
            return new BeanReader(target.type(), target.constructor(), readerArray, slotArray,
                    setters.toArray(new MethodHandle[0]), nested);
        }

        private RowMappingException missing(String lookedFor, String propertyPath) {
            return new RowMappingException("Cannot map the row to " + this.model.type().getSimpleName() + ": "
                    + propertyPath + " has no column in the result; columns are: " + this.shape.labels()
                    + " (expected " + lookedFor + ")");
        }

        private @Nullable ResultColumn find(Property property, String normalisedPrefix, String prefix,
                String propertyPath) {
            ResultColumn found = null;
            for (ResultColumn column : this.columns) {
                if (matches(property, column, normalisedPrefix, prefix)) {
                    if (found != null) {
                        throw new RowMappingException("Cannot map the row to " + this.model.type().getSimpleName()
                                + ": columns \"" + found.label() + "\" (" + found.index() + ") and \""
                                + column.label() + "\" (" + column.index() + ") both map to " + propertyPath
                                + "; alias one of them (their types are " + found.typeName() + " and "
                                + column.typeName() + ")");
                    }
                    found = column;
                }
            }
            return found;
        }

        private static boolean matches(Property property, ResultColumn column, String normalisedPrefix,
                String prefix) {
            if (property.column() != null) {
                return column.lowerLabel().equals((prefix + property.column()).toLowerCase(Locale.ROOT));
            }
            return column.normalisedLabel().equals(normalisedPrefix + ResultColumn.normalise(property.name()));
        }

        private void claim(ResultColumn column, String propertyPath) {
            String previous = this.claims[column.index() - 1];
            if (previous != null) {
                throw new RowMappingException("Cannot map the row to " + this.model.type().getSimpleName()
                        + ": column " + column.describe() + " maps to both " + previous + " and " + propertyPath
                        + "; alias it, or rename one of the properties");
            }
            this.claims[column.index() - 1] = propertyPath;
        }

    }

    /**
     * A single-column result read into a simple type.
     */
    private static final class SingleColumnReader implements ValueReader {

        private final ValueReader reader;

        private final Slot slot;

        SingleColumnReader(ValueReader reader, Slot slot) {
            this.reader = reader;
            this.slot = slot;
        }

        @Override
        public @Nullable Object read(ResultSet rs) throws SQLException {
            Object value;
            try {
                value = this.reader.read(rs);
            }
            catch (SQLException ex) {
                throw readFailure(this.slot, ex);
            }
            return wrap(this.slot, value);
        }

    }

    /**
     * Builds a record through its canonical constructor.
     */
    private static final class RecordReader implements ValueReader {

        private final Class<?> type;

        /** {@code (Object[])Object}. */
        private final MethodHandle constructor;

        private final ValueReader[] readers;

        private final Slot[] slots;

        /** The slots whose value is unwrapped or checked after reading: primitives and optionals. */
        private final int[] wrapped;

        /** A nested object whose columns are all NULL is itself null, as after a LEFT JOIN without a match. */
        private final boolean nullable;

        RecordReader(Class<?> type, MethodHandle constructor, ValueReader[] readers, Slot[] slots,
                boolean nullable) {
            this.type = type;
            this.constructor = constructor;
            this.readers = readers;
            this.slots = slots;
            this.wrapped = wrappedSlots(slots);
            this.nullable = nullable;
        }

        @Override
        public @Nullable Object read(ResultSet rs) throws SQLException {
            ValueReader[] readers = this.readers;
            int count = readers.length;
            Object[] args = new Object[count];
            boolean present = false;
            int j = 0;
            try {
                for (; j < count; j++) {
                    Object value = readers[j].read(rs);
                    present |= value != null;
                    args[j] = value;
                }
            }
            catch (SQLException ex) {
                throw readFailure(this.slots[j], ex);
            }
            if (!present && this.nullable) {
                return null;
            }
            for (int k : this.wrapped) {
                args[k] = wrap(this.slots[k], args[k]);
            }
            try {
                return (Object) this.constructor.invokeExact(args);
            }
            catch (Error ex) {
                throw ex;
            }
            catch (Throwable ex) {
                throw new RowMappingException("The constructor of "
                        + this.type.getSimpleName() + " failed for a row: "
                        + ex.getClass().getName(), ex);
            }
        }

    }

    /**
     * Builds a bean through its constructor without parameters, then its setters and fields.
     */
    private static final class BeanReader implements ValueReader {

        private final Class<?> type;

        /** {@code ()Object}. */
        private final MethodHandle constructor;

        private final ValueReader[] readers;

        private final Slot[] slots;

        /** {@code (Object,Object)void} each. */
        private final MethodHandle[] setters;

        private final boolean[] wrapped;

        private final boolean nullable;

        BeanReader(Class<?> type, MethodHandle constructor, ValueReader[] readers, Slot[] slots,
                MethodHandle[] setters, boolean nullable) {
            this.type = type;
            this.constructor = constructor;
            this.readers = readers;
            this.slots = slots;
            this.setters = setters;
            this.wrapped = new boolean[slots.length];
            for (int j = 0; j < slots.length; j++) {
                this.wrapped[j] = slots[j].wrapping() != Wrapping.NONE;
            }
            this.nullable = nullable;
        }

        @Override
        public @Nullable Object read(ResultSet rs) throws SQLException {
            if (this.nullable) {
                return readNested(rs);
            }
            Object bean = instantiate();
            ValueReader[] readers = this.readers;
            int j = 0;
            try {
                for (; j < readers.length; j++) {
                    Object value = readers[j].read(rs);
                    set(j, bean, this.wrapped[j] ? wrap(this.slots[j], value) : value);
                }
            }
            catch (SQLException ex) {
                throw readFailure(this.slots[j], ex);
            }
            return bean;
        }

        /** A nested bean reads its values first: if they are all NULL, there is no bean. */
        private @Nullable Object readNested(ResultSet rs) throws SQLException {
            ValueReader[] readers = this.readers;
            Object[] values = new Object[readers.length];
            boolean present = false;
            int j = 0;
            try {
                for (; j < readers.length; j++) {
                    Object value = readers[j].read(rs);
                    present |= value != null;
                    values[j] = value;
                }
            }
            catch (SQLException ex) {
                throw readFailure(this.slots[j], ex);
            }
            if (!present) {
                return null;
            }
            Object bean = instantiate();
            for (int k = 0; k < values.length; k++) {
                set(k, bean, this.wrapped[k] ? wrap(this.slots[k], values[k]) : values[k]);
            }
            return bean;
        }

        private Object instantiate() {
            try {
                return (Object) this.constructor.invokeExact();
            }
            catch (Error ex) {
                throw ex;
            }
            catch (Throwable ex) {
                throw new RowMappingException("The constructor of "
                        + this.type.getSimpleName() + " failed for a row: "
                        + ex.getClass().getName(), ex);
            }
        }

        private void set(int j, Object bean, @Nullable Object value) {
            try {
                this.setters[j].invokeExact(bean, value);
            }
            catch (Error ex) {
                throw ex;
            }
            catch (Throwable ex) {
                throw new RowMappingException("Setting " + this.slots[j].path() + " failed for a row: "
                        + ex.getClass().getName(), ex);
            }
        }

    }

    private static int[] wrappedSlots(Slot[] slots) {
        int count = 0;
        for (Slot slot : slots) {
            if (slot.wrapping() != Wrapping.NONE) {
                count++;
            }
        }
        int[] wrapped = new int[count];
        int k = 0;
        for (int j = 0; j < slots.length; j++) {
            if (slots[j].wrapping() != Wrapping.NONE) {
                wrapped[k++] = j;
            }
        }
        return wrapped;
    }

}
