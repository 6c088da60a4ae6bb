package io.nexs.postgres.query;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.sql.ResultSet;

import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.AotServices;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The native-image hints of the row mapping: each static helper {@link PlanCompiler} looks up as a method handle
 * may be invoked, the hidden-class template is deliberately left out, and Spring's AOT processing finds the
 * registrar.
 */
class QueryRuntimeHintsTests {

    private final RuntimeHints hints = new RuntimeHints();

    QueryRuntimeHintsTests() {
        new QueryRuntimeHints().registerHints(this.hints, getClass().getClassLoader());
    }

    @Test
    void everyMethodHandleTargetOfThePlanCompilerMayBeInvoked() throws NoSuchMethodException {
        assertInvocable("readPlain", ValueReader.class, Slot.class, ResultSet.class);
        assertInvocable("readWrapped", ValueReader.class, Slot.class, ResultSet.class);
        assertInvocable("constructorFailed", Class.class, Throwable.class);
        assertInvocable("setterFailed", String.class, Throwable.class);
        assertInvocable("readInt", ResultSet.class, int.class, Slot.class);
        assertInvocable("readLong", ResultSet.class, int.class, Slot.class);
        assertInvocable("readDouble", ResultSet.class, int.class, Slot.class);
        assertInvocable("readBoolean", ResultSet.class, int.class, Slot.class);
    }

    @Test
    void registersOnlyStaticMethodsOfThePlanCompiler() {
        assertThat(QueryRuntimeHints.planCompilerHelpers()).hasSize(8)
            .allSatisfy((method) -> assertThat(method.getDeclaringClass()).isEqualTo(PlanCompiler.class))
            .allSatisfy((method) -> assertThat(Modifier.isStatic(method.getModifiers())).isTrue());
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(PlanCompiler.class, "compile"))
            .rejects(this.hints);
    }

    @Test
    void leavesTheHiddenClassTemplateOutSoNativeImagesUseTheInterpretedPlan() {
        assertThat(PlanCompiler.class.getResource("PlanInvoker.class")).as("the template exists on the JVM")
            .isNotNull();
        assertThat(RuntimeHintsPredicates.resource().forResource("io/nexs/postgres/query/PlanInvoker.class"))
            .rejects(this.hints);
    }

    @Test
    void isRegisteredForSpringAotProcessing() {
        assertThat(AotServices.factories().load(RuntimeHintsRegistrar.class))
            .hasAtLeastOneElementOfType(QueryRuntimeHints.class);
    }

    private void assertInvocable(String name, Class<?>... parameterTypes) throws NoSuchMethodException {
        Method method = PlanCompiler.class.getDeclaredMethod(name, parameterTypes);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(method)).as(name).accepts(this.hints);
    }

}
