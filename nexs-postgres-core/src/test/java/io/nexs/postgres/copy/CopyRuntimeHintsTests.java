package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.AotServices;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The native-image hints of COPY: every array class {@link CopyOutRows} creates by reflection is registered, and
 * Spring's AOT processing finds the registrar.
 */
class CopyRuntimeHintsTests {

    private final RuntimeHints hints = new RuntimeHints();

    CopyRuntimeHintsTests() {
        new CopyRuntimeHints().registerHints(this.hints, getClass().getClassLoader());
    }

    @Test
    void registersTheArrayClassOfEveryElementTypeCopyOutDecodes() {
        for (Class<?> array : new Class<?>[] { Boolean[].class, Short[].class, Integer[].class, Long[].class,
                Float[].class, Double[].class, BigDecimal[].class, String[].class, byte[][].class, UUID[].class,
                java.sql.Date[].class, Time[].class, Timestamp[].class, Object[].class }) {
            assertThat(RuntimeHintsPredicates.reflection().onType(array)).as(array.getTypeName()).accepts(this.hints);
        }
    }

    @Test
    void isRegisteredForSpringAotProcessing() {
        assertThat(AotServices.factories().load(RuntimeHintsRegistrar.class))
            .hasAtLeastOneElementOfType(CopyRuntimeHints.class);
    }

}
