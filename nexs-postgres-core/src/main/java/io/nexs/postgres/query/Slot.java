package io.nexs.postgres.query;

import java.lang.reflect.Type;

import org.jspecify.annotations.Nullable;

/**
 * Where a value goes, as error messages name it: the property's path from the target class, its declared type,
 * what it does with NULL, and the column it is read from.
 *
 * @param path the property, such as {@code Person.age} or {@code Customer.address.city}; {@code null} for a
 * single-column result
 * @param type the declared Java type
 * @param wrapping what the value becomes once read
 * @param column the column the value is read from; {@code null} for a nested object
 */
record Slot(@Nullable String path, Type type, TargetModel.Wrapping wrapping, @Nullable ResultColumn column) {

    /**
     * The destination as a message names it.
     * @return for example {@code Person.age of type int} or {@code the result type Long}
     */
    String target() {
        return (this.path != null) ? this.path + " of type " + TargetModel.describe(this.type)
                : "the result type " + TargetModel.describe(this.type);
    }

    /**
     * The column as a message names it.
     * @return for example {@code Column "age" (int4)}
     */
    String source() {
        return (this.column != null) ? "Column " + this.column.describe() : "The columns of " + this.path;
    }

}
