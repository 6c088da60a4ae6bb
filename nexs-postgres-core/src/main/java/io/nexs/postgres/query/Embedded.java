package io.nexs.postgres.query;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Sets the column prefix of a nested object. Without it, a nested record or bean property {@code address} reads
 * its components from columns prefixed {@code address_} ({@code address_street}, {@code address_city}).
 *
 * <pre>{@code
 * record Customer(long id, @Embedded(prefix = "home_") Address address) { }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER })
public @interface Embedded {

    /**
     * The prefix of the nested object's columns, including any separator; empty reads them unprefixed.
     * @return the prefix
     */
    String prefix();

}
