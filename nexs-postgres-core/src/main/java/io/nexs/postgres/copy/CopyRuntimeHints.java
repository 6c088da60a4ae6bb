package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * Reflection hints for COPY's own code, for GraalVM native images: the array classes that {@link CopyOutRows}
 * creates with {@code Array.newInstance} for the elements of PostgreSQL arrays, the same classes PgJDBC gives.
 * Registered through {@code META-INF/spring/aot.factories}.
 *
 * <p>The objects that COPY in reads ({@link RowValues}) are the application's, which it registers itself.
 */
final class CopyRuntimeHints implements RuntimeHintsRegistrar {

    /** The element classes of {@code CopyOutRows.ArrayDecoder#newArray}; keep in step with it. */
    static final List<Class<?>> ARRAY_ELEMENT_TYPES = List.of(Boolean.class, Short.class, Integer.class, Long.class,
            Float.class, Double.class, BigDecimal.class, String.class, byte[].class, UUID.class, java.sql.Date.class,
            Time.class, Timestamp.class, Object.class);

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        for (Class<?> element : ARRAY_ELEMENT_TYPES) {
            hints.reflection().registerType(element.arrayType());
        }
    }

}
