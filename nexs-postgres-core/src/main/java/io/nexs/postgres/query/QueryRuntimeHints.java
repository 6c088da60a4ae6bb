package io.nexs.postgres.query;

import java.lang.reflect.Method;
import java.sql.ResultSet;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.ExecutableMode;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * Reflection hints for the row mapping's own code, for GraalVM native images: the static helpers that
 * {@link PlanCompiler} looks up as method handles when its class initialises. Registered through
 * {@code META-INF/spring/aot.factories}, so Spring's AOT processing adds them for every application that has
 * this library.
 *
 * <p>What is left out on purpose: the classes rows are mapped to and the objects {@link NamedParameters} and
 * COPY read are the application's, which no library can know; an application registers them itself (with
 * {@code @RegisterReflectionForBinding}, for instance). The bytes of {@code PlanInvoker.class}, which
 * {@link PlanCompiler} reads as a resource to define hidden classes, are not registered either: a native image
 * cannot define classes at run time, so without the resource the compiler gives up at once and the interpreted
 * plan, which needs no more than the hints here, maps every row.
 */
final class QueryRuntimeHints implements RuntimeHintsRegistrar {

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        for (Method helper : planCompilerHelpers()) {
            hints.reflection().registerMethod(helper, ExecutableMode.INVOKE);
        }
    }

    /**
     * The methods {@link PlanCompiler} finds with {@code Lookup.findStatic}; keep in step with its static
     * initialiser.
     * @return the methods, each of which exists
     * @throws IllegalStateException when one is gone, so that AOT processing fails instead of the native image
     */
    static List<Method> planCompilerHelpers() {
        return List.of(helper("readPlain", ValueReader.class, Slot.class, ResultSet.class),
                helper("readWrapped", ValueReader.class, Slot.class, ResultSet.class),
                helper("constructorFailed", Class.class, Throwable.class),
                helper("setterFailed", String.class, Throwable.class),
                helper("readInt", ResultSet.class, int.class, Slot.class),
                helper("readLong", ResultSet.class, int.class, Slot.class),
                helper("readDouble", ResultSet.class, int.class, Slot.class),
                helper("readBoolean", ResultSet.class, int.class, Slot.class));
    }

    private static Method helper(String name, Class<?>... parameterTypes) {
        try {
            return PlanCompiler.class.getDeclaredMethod(name, parameterTypes);
        }
        catch (NoSuchMethodException ex) {
            throw new IllegalStateException("PlanCompiler has no method " + name + "; update QueryRuntimeHints", ex);
        }
    }

}
