package io.nexs.postgres.sample;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.annotation.ReflectiveRuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.ReflectionHintsPredicates;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reflection the query API needs for the sample's own types, as Spring's AOT processing derives it from
 * {@code @RegisterReflectionForBinding} on {@link OrderRepository}, not from the controller that happens to use
 * the same types: rows become {@link Order} records through their canonical constructor, and the {@code :name}
 * parameters are read from {@link NewOrder}'s accessors or fields.
 */
class OrderRepositoryHintsTests {

    private final RuntimeHints hints = new RuntimeHints();

    private final ReflectionHintsPredicates reflection = RuntimeHintsPredicates.reflection();

    OrderRepositoryHintsTests() {
        new ReflectiveRuntimeHintsRegistrar().registerRuntimeHints(this.hints, OrderRepository.class);
    }

    @Test
    void ordersCanBeBuiltFromRows() throws NoSuchMethodException {
        assertThat(this.reflection.onType(Order.class)).accepts(this.hints);
        assertThat(this.reflection.onConstructorInvocation(Order.class.getDeclaredConstructor(long.class,
                String.class, BigDecimal.class, OffsetDateTime.class)))
            .accepts(this.hints);
    }

    @Test
    void newOrdersCanBeReadForNamedParameters() {
        for (String component : new String[] { "customer", "total" }) {
            assertThat(this.reflection.onMethodInvocation(NewOrder.class, component)).as(component)
                .accepts(this.hints);
            assertThat(this.reflection.onFieldAccess(NewOrder.class, component)).as(component).accepts(this.hints);
        }
    }

}
