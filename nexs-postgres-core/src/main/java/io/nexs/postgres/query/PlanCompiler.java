package io.nexs.postgres.query;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.sql.ResultSet;
import java.sql.SQLException;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.nexs.postgres.query.ResultColumn.SqlKind;
import io.nexs.postgres.query.TargetModel.Kind;
import io.nexs.postgres.query.TargetModel.Property;
import io.nexs.postgres.query.TargetModel.Wrapping;

/**
 * Compiles the top level of a plan into one method handle, {@code (ResultSet)Object}, run by a hidden class
 * that holds it as a constant (see {@link PlanInvoker}). Primitive properties are read with the driver's
 * primitive getters and passed to the constructor or setter unboxed; other properties go through their
 * {@link ValueReader}, which the JIT inlines too since it is bound into the constant handle.
 *
 * <p>The interpreted plan (an array of readers and a spread constructor) does the same work at the cost of a
 * virtual call and a boxed value per column; it remains the fallback when compiling is not possible.
 */
final class PlanCompiler {

    private static final Logger logger = LoggerFactory.getLogger(PlanCompiler.class);

    /** Beyond this many properties, the handle tree gets unwieldy and the interpreted plan is used. */
    private static final int MAX_PROPERTIES = 96;

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();

    private static final byte @Nullable [] TEMPLATE = template();

    private static final MethodHandle READ_PLAIN;

    private static final MethodHandle READ_WRAPPED;

    private static final MethodHandle CONSTRUCTOR_FAILED;

    private static final MethodHandle SETTER_FAILED;

    private static final MethodHandle READ_INT;

    private static final MethodHandle READ_LONG;

    private static final MethodHandle READ_DOUBLE;

    private static final MethodHandle READ_BOOLEAN;

    static {
        try {
            MethodType read = MethodType.methodType(Object.class, ValueReader.class, Slot.class, ResultSet.class);
            READ_PLAIN = LOOKUP.findStatic(PlanCompiler.class, "readPlain", read);
            READ_WRAPPED = LOOKUP.findStatic(PlanCompiler.class, "readWrapped", read);
            CONSTRUCTOR_FAILED = LOOKUP.findStatic(PlanCompiler.class, "constructorFailed",
                    MethodType.methodType(Object.class, Class.class, Throwable.class));
            SETTER_FAILED = LOOKUP.findStatic(PlanCompiler.class, "setterFailed",
                    MethodType.methodType(void.class, String.class, Throwable.class));
            READ_INT = LOOKUP.findStatic(PlanCompiler.class, "readInt",
                    MethodType.methodType(int.class, ResultSet.class, int.class, Slot.class));
            READ_LONG = LOOKUP.findStatic(PlanCompiler.class, "readLong",
                    MethodType.methodType(long.class, ResultSet.class, int.class, Slot.class));
            READ_DOUBLE = LOOKUP.findStatic(PlanCompiler.class, "readDouble",
                    MethodType.methodType(double.class, ResultSet.class, int.class, Slot.class));
            READ_BOOLEAN = LOOKUP.findStatic(PlanCompiler.class, "readBoolean",
                    MethodType.methodType(boolean.class, ResultSet.class, int.class, Slot.class));
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private PlanCompiler() {
    }

    /**
     * Compiles the top level of a record or bean plan.
     * @param model the target
     * @param properties the properties that have a value, in the order of {@code readers}
     * @param readers the reader of each property
     * @param slots the slot of each property
     * @return the compiled reader, or {@code null} when it cannot be compiled here
     */
    static @Nullable ValueReader compile(TargetModel model, Property[] properties, ValueReader[] readers,
            Slot[] slots) {
        if (TEMPLATE == null || readers.length > MAX_PROPERTIES) {
            return null;
        }
        try {
            MethodHandle handle = (model.kind() == Kind.RECORD) ? record(model, readers, slots)
                    : bean(model, properties, readers, slots);
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClassWithClassData(TEMPLATE,
                    handle.asType(MethodType.methodType(Object.class, ResultSet.class)), true);
            return (ValueReader) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                .invoke();
        }
        catch (Throwable ex) {
            // e.g. no hidden classes in this runtime: the interpreted plan is as correct, only slower
            logger.debug("Row mapping of {} runs interpreted: {}", model.type().getName(), ex.toString());
            return null;
        }
    }

    private static MethodHandle record(TargetModel model, ValueReader[] readers, Slot[] slots) {
        MethodHandle constructor = model.exactConstructor();
        MethodType type = constructor.type();
        constructor = guard(constructor, model.type());
        if (readers.length == 0) {
            return MethodHandles.dropArguments(constructor, 0, ResultSet.class);
        }
        MethodHandle[] getters = new MethodHandle[readers.length];
        for (int j = 0; j < readers.length; j++) {
            getters[j] = getter(readers[j], slots[j], type.parameterType(j));
        }
        MethodHandle filtered = MethodHandles.filterArguments(constructor, 0, getters);
        // every getter reads from the same result set: one parameter feeds them all
        return MethodHandles.permuteArguments(filtered, MethodType.methodType(type.returnType(), ResultSet.class),
                new int[readers.length]);
    }

    private static MethodHandle bean(TargetModel model, Property[] properties, ValueReader[] readers,
            Slot[] slots) {
        MethodHandle result = MethodHandles.dropArguments(
                guard(model.exactConstructor()).asType(MethodType.methodType(Object.class)), 0, ResultSet.class);
        MethodHandle keepBean = MethodHandles.dropArguments(MethodHandles.identity(Object.class), 1,
                ResultSet.class);
        for (int j = 0; j < readers.length; j++) {
            MethodHandle setter = properties[j].exactSetter();
            if (setter == null) {
                throw new IllegalStateException("no setter for " + slots[j].path());
            }
            Class<?> valueType = setter.type().parameterType(1);
            setter = setter.asType(MethodType.methodType(void.class, Object.class, valueType));
            setter = MethodHandles.catchException(setter, Throwable.class, MethodHandles.dropArguments(
                    MethodHandles.insertArguments(SETTER_FAILED, 0, slots[j].path()), 1, Object.class, valueType));
            // (bean, rs) -> { setter(bean, get(rs)); return bean; }
            MethodHandle set = MethodHandles.filterArguments(setter, 1, getter(readers[j], slots[j], valueType));
            MethodHandle step = MethodHandles.foldArguments(keepBean, set);
            result = MethodHandles.permuteArguments(MethodHandles.collectArguments(step, 0, result),
                    MethodType.methodType(Object.class, ResultSet.class), 0, 0);
        }
        return result;
    }

    /** Turns a constructor's failure into a {@link RowMappingException}, as the interpreted plan does. */
    private static MethodHandle guard(MethodHandle constructor, Class<?> type) {
        MethodType shape = constructor.type();
        MethodHandle handler = MethodHandles.insertArguments(CONSTRUCTOR_FAILED, 0, type)
            .asType(MethodType.methodType(shape.returnType(), Throwable.class));
        return MethodHandles.catchException(constructor, Throwable.class,
                MethodHandles.dropArguments(handler, 1, shape.parameterList()));
    }

    private static MethodHandle guard(MethodHandle constructor) {
        return guard(constructor, constructor.type().returnType());
    }

    /** {@code (ResultSet)type}: a primitive getter when one fits, the property's reader otherwise. */
    private static MethodHandle getter(ValueReader reader, Slot slot, Class<?> type) {
        if (type.isPrimitive() && slot.column() != null) {
            MethodHandle primitive = primitive(slot.column(), type);
            if (primitive != null) {
                return MethodHandles.insertArguments(primitive, 1, slot.column().index(), slot);
            }
        }
        MethodHandle read = (slot.wrapping() == Wrapping.NONE) ? READ_PLAIN : READ_WRAPPED;
        return MethodHandles.insertArguments(read, 0, reader, slot)
            .asType(MethodType.methodType(type, ResultSet.class));
    }

    /**
     * The primitive getter for the pairs the converters read with one driver call and no check; the others
     * (an int from an int8, which needs a range check, for instance) go through their reader.
     */
    private static @Nullable MethodHandle primitive(ResultColumn column, Class<?> type) {
        SqlKind kind = column.kind();
        if (type == int.class && (kind == SqlKind.INT2 || kind == SqlKind.INT4)) {
            return READ_INT;
        }
        if (type == long.class && kind.isInteger()) {
            return READ_LONG;
        }
        if (type == double.class && kind.isNumber()) {
            return READ_DOUBLE;
        }
        if (type == boolean.class && kind == SqlKind.BOOL) {
            return READ_BOOLEAN;
        }
        return null;
    }

    // ---- the pieces the handle trees call; the JIT inlines them ----

    private static @Nullable Object readPlain(ValueReader reader, Slot slot, ResultSet rs) throws SQLException {
        try {
            return reader.read(rs);
        }
        catch (SQLException ex) {
            throw MappingPlan.readFailure(slot, ex);
        }
    }

    private static @Nullable Object readWrapped(ValueReader reader, Slot slot, ResultSet rs) throws SQLException {
        return MappingPlan.wrap(slot, readPlain(reader, slot, rs));
    }

    private static int readInt(ResultSet rs, int index, Slot slot) throws SQLException {
        try {
            int value = rs.getInt(index);
            if (value == 0 && rs.wasNull()) {
                throw Converters.nullIntoPrimitive(slot);
            }
            return value;
        }
        catch (SQLException ex) {
            throw MappingPlan.readFailure(slot, ex);
        }
    }

    private static long readLong(ResultSet rs, int index, Slot slot) throws SQLException {
        try {
            long value = rs.getLong(index);
            if (value == 0 && rs.wasNull()) {
                throw Converters.nullIntoPrimitive(slot);
            }
            return value;
        }
        catch (SQLException ex) {
            throw MappingPlan.readFailure(slot, ex);
        }
    }

    private static double readDouble(ResultSet rs, int index, Slot slot) throws SQLException {
        try {
            double value = rs.getDouble(index);
            if (value == 0 && rs.wasNull()) {
                throw Converters.nullIntoPrimitive(slot);
            }
            return value;
        }
        catch (SQLException ex) {
            throw MappingPlan.readFailure(slot, ex);
        }
    }

    private static boolean readBoolean(ResultSet rs, int index, Slot slot) throws SQLException {
        try {
            boolean value = rs.getBoolean(index);
            if (!value && rs.wasNull()) {
                throw Converters.nullIntoPrimitive(slot);
            }
            return value;
        }
        catch (SQLException ex) {
            throw MappingPlan.readFailure(slot, ex);
        }
    }

    private static Object constructorFailed(Class<?> type, Throwable ex) throws Throwable {
        if (ex instanceof Error) {
            throw ex;
        }
        throw new RowMappingException("The constructor of " + type.getSimpleName() + " failed for a row: "
                + ex.getClass().getName(), ex);
    }

    private static void setterFailed(String path, Throwable ex) throws Throwable {
        if (ex instanceof Error) {
            throw ex;
        }
        throw new RowMappingException("Setting " + path + " failed for a row: " + ex.getClass().getName(), ex);
    }

    private static byte @Nullable [] template() {
        try (InputStream in = PlanCompiler.class.getResourceAsStream("PlanInvoker.class")) {
            return (in != null) ? in.readAllBytes() : null;
        }
        catch (IOException ex) {
            return null;
        }
    }

}
