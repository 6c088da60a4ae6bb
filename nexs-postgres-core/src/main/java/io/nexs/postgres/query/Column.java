package io.nexs.postgres.query;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the result column a record component, bean property or field is read from, when the snake_case form of
 * its name is not the column's label. The match ignores case. Within a nested object the label follows the
 * object's prefix: {@code @Column("zip")} on a component of {@code Address} reads {@code address_zip} for a
 * property {@code address} (see {@link Embedded}).
 *
 * <pre>{@code
 * record Order(long id, @Column("cust_ref") String customer) { }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER })
public @interface Column {

    /**
     * The column label, as the query returns it.
     * @return the label
     */
    String value();

}
