package io.nexs.postgres.query;

import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.sql.ResultSet;
import java.sql.SQLException;

import org.jspecify.annotations.Nullable;

/**
 * The template of the hidden classes that run compiled plans. {@link PlanCompiler} defines a hidden class from
 * this class's bytes for each plan, with the plan's method handle as class data; the handle lands in a static
 * final field, which the JIT treats as a constant, so it inlines the whole handle tree (column getters,
 * conversions, constructor) into {@link #read} as if it were hand-written. This class itself is never loaded by
 * name.
 */
final class PlanInvoker implements ValueReader {

    /** {@code (ResultSet)Object}; {@code null} only in the template, which is never used. */
    private static final @Nullable MethodHandle HANDLE = classData();

    PlanInvoker() {
    }

    private static @Nullable MethodHandle classData() {
        try {
            return MethodHandles.classData(MethodHandles.lookup(), ConstantDescs.DEFAULT_NAME, MethodHandle.class);
        }
        catch (IllegalAccessException ex) {
            return null;
        }
    }

    @Override
    public @Nullable Object read(ResultSet rs) throws SQLException {
        try {
            return (Object) HANDLE.invokeExact(rs);
        }
        catch (SQLException | RuntimeException | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new RowMappingException("Mapping a row failed: " + ex.getClass().getName(), ex);
        }
    }

}
