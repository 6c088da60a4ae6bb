package io.nexs.postgres.copy;

import java.beans.PropertyDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.nexs.postgres.query.Column;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeanUtils;

/**
 * Takes the values of a {@code COPY}'s columns out of the application's rows: an {@code Object[]} or a
 * {@code List} gives them by position, in the order of the columns; a {@code Map} by column name; a record by its
 * components and any other object by its getters or fields, matched to columns the way rows are mapped to
 * classes: {@code customer_id} from {@code customerId}, or from the property annotated {@code @Column("customer_id")}.
 * The accessors of a class are found once, at its first row, and a column no property gives is an error before
 * that row is written.
 */
public final class RowValues {

    private final List<String> columns;

    private @Nullable Class<?> lastType;

    private MethodHandle @Nullable [] lastAccessors;

    /**
     * Creates the reader for the columns of one load.
     * @param columns the columns' names, as the table stores them, in order
     */
    public RowValues(List<String> columns) {
        this.columns = List.copyOf(columns);
    }

    /**
     * Reads one row's values into an array.
     * @param row the application's row
     * @param number the row's number, from 1, for messages
     * @param values receives the values, one per column
     * @throws IllegalArgumentException when the row does not have the columns
     */
    public void read(Object row, long number, @Nullable Object[] values) {
        if (row == null) {
            throw new IllegalArgumentException("Row " + number + " is null");
        }
        int count = this.columns.size();
        if (row instanceof Object[] array) {
            requireSize(array.length, number);
            System.arraycopy(array, 0, values, 0, count);
            return;
        }
        if (row instanceof List<?> list) {
            requireSize(list.size(), number);
            for (int i = 0; i < count; i++) {
                values[i] = list.get(i);
            }
            return;
        }
        if (row instanceof Map<?, ?> map) {
            for (int i = 0; i < count; i++) {
                String column = this.columns.get(i);
                if (!map.containsKey(column)) {
                    throw new IllegalArgumentException("Row " + number + " is a map without the key \"" + column
                            + "\" for column " + column);
                }
                values[i] = map.get(column);
            }
            return;
        }
        MethodHandle[] accessors = accessors(row.getClass());
        for (int i = 0; i < count; i++) {
            try {
                values[i] = accessors[i].invoke(row);
            }
            catch (RuntimeException | Error ex) {
                throw ex;
            }
            catch (Throwable ex) {
                throw new IllegalStateException("Reading column " + this.columns.get(i) + " of row " + number
                        + " from " + row.getClass().getName() + " failed", ex);
            }
        }
    }

    private void requireSize(int size, long number) {
        if (size != this.columns.size()) {
            throw new IllegalArgumentException("Row " + number + " has " + size + " values for "
                    + this.columns.size() + " columns " + this.columns);
        }
    }

    private MethodHandle[] accessors(Class<?> type) {
        MethodHandle[] accessors = this.lastAccessors;
        if (type == this.lastType && accessors != null) {
            return accessors;
        }
        accessors = new MethodHandle[this.columns.size()];
        List<Candidate> candidates = candidates(type);
        for (int i = 0; i < accessors.length; i++) {
            String column = this.columns.get(i);
            MethodHandle found = null;
            for (Candidate candidate : candidates) {
                if (candidate.matches(column)) {
                    found = candidate.accessor;
                    break;
                }
            }
            if (found == null) {
                List<String> names = new ArrayList<>();
                candidates.forEach((candidate) -> names.add(candidate.name));
                throw new IllegalArgumentException("No property of " + type.getName() + " gives column " + column
                        + ": it has " + names + "; name one " + snakeToCamel(column)
                        + " or annotate it with @Column(\"" + column + "\")");
            }
            accessors[i] = found.asType(MethodType.methodType(Object.class, Object.class));
        }
        this.lastType = type;
        this.lastAccessors = accessors;
        return accessors;
    }

    private static List<Candidate> candidates(Class<?> type) {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        List<Candidate> candidates = new ArrayList<>();
        try {
            if (type.isRecord()) {
                for (RecordComponent component : type.getRecordComponents()) {
                    Method accessor = component.getAccessor();
                    accessor.trySetAccessible();
                    Column column = component.getAnnotation(Column.class);
                    candidates.add(new Candidate(component.getName(), (column != null) ? column.value() : null,
                            lookup.unreflect(accessor)));
                }
                return candidates;
            }
            for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(type)) {
                Method getter = property.getReadMethod();
                if (getter == null || getter.getDeclaringClass() == Object.class) {
                    continue;
                }
                getter.trySetAccessible();
                Field field = field(type, property.getName());
                Column column = getter.getAnnotation(Column.class);
                if (column == null && field != null) {
                    column = field.getAnnotation(Column.class);
                }
                candidates.add(new Candidate(property.getName(), (column != null) ? column.value() : null,
                        lookup.unreflect(getter)));
            }
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field field : c.getDeclaredFields()) {
                    int modifiers = field.getModifiers();
                    if (Modifier.isStatic(modifiers) || field.isSynthetic()
                            || candidates.stream().anyMatch((known) -> known.name.equals(field.getName()))
                            || !field.trySetAccessible()) {
                        continue;
                    }
                    Column column = field.getAnnotation(Column.class);
                    candidates.add(new Candidate(field.getName(), (column != null) ? column.value() : null,
                            lookup.unreflectGetter(field)));
                }
            }
            return candidates;
        }
        catch (IllegalAccessException ex) {
            throw new IllegalArgumentException("The properties of " + type.getName() + " cannot be read: "
                    + ex.getMessage(), ex);
        }
    }

    private static @Nullable Field field(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                return c.getDeclaredField(name);
            }
            catch (NoSuchFieldException ex) {
                // look further up
            }
        }
        return null;
    }

    private static String snakeToCamel(String column) {
        StringBuilder camel = new StringBuilder();
        boolean upper = false;
        for (char c : column.toCharArray()) {
            if (c == '_') {
                upper = true;
            }
            else {
                camel.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return camel.toString();
    }

    /** A property that may give a column: by its {@code @Column} name, else by its name in snake case. */
    private record Candidate(String name, @Nullable String columnName, MethodHandle accessor) {

        boolean matches(String column) {
            if (this.columnName != null) {
                return this.columnName.equalsIgnoreCase(column);
            }
            return this.name.equalsIgnoreCase(column) || snakeCase(this.name).equals(column.toLowerCase(Locale.ROOT));
        }

        private static String snakeCase(String name) {
            StringBuilder snake = new StringBuilder(name.length() + 4);
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (Character.isUpperCase(c)) {
                    if (i > 0) {
                        snake.append('_');
                    }
                    snake.append(Character.toLowerCase(c));
                }
                else {
                    snake.append(c);
                }
            }
            return snake.toString();
        }

    }

}
