package io.nexs.postgres.query;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * What row mapping knows about a target class, found by reflection once per class: whether it is a simple value
 * read from a single column, a record or a bean, its properties and the method handles that build it. Shared by
 * every plan of the class, whatever the shape of the result.
 */
final class TargetModel {

    private final Class<?> type;

    private final Kind kind;

    private final List<Property> properties;

    /** RECORD: {@code (Object[])Object}, the canonical constructor spread; BEAN: {@code ()Object}. */
    private final @Nullable MethodHandle constructor;

    /** The constructor with its own parameter and return types. */
    private final @Nullable MethodHandle exactConstructor;

    private TargetModel(Class<?> type, Kind kind, List<Property> properties, @Nullable MethodHandle constructor,
            @Nullable MethodHandle exactConstructor) {
        this.type = type;
        this.kind = kind;
        this.properties = properties;
        this.constructor = constructor;
        this.exactConstructor = exactConstructor;
    }

    /**
     * The model of a class rows are mapped to.
     * @param type the class
     * @return its model
     * @throws RowMappingException when the class cannot be a target
     */
    static TargetModel of(Class<?> type) {
        if (isValueType(type)) {
            return new TargetModel(type, Kind.VALUE, List.of(), null, null);
        }
        return structured(type, new HashSet<>());
    }

    Class<?> type() {
        return this.type;
    }

    Kind kind() {
        return this.kind;
    }

    List<Property> properties() {
        return this.properties;
    }

    MethodHandle constructor() {
        if (this.constructor == null) {
            throw new IllegalStateException(this.type + " is a value type");
        }
        return this.constructor;
    }

    MethodHandle exactConstructor() {
        if (this.exactConstructor == null) {
            throw new IllegalStateException(this.type + " is a value type");
        }
        return this.exactConstructor;
    }

    /**
     * Whether a class is read from one column rather than built from several: primitives, arrays, enums, the
     * platform's and the driver's types, and interfaces and abstract classes (a JSON document can still bind to
     * those).
     */
    static boolean isValueType(Class<?> type) {
        if (type.isPrimitive() || type.isArray() || type.isEnum() || type.isInterface()
                || (!type.isRecord() && Modifier.isAbstract(type.getModifiers()))) {
            return true;
        }
        String name = type.getName();
        return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.")
                || name.startsWith("org.postgresql.");
    }

    private static TargetModel structured(Class<?> type, Set<Class<?>> building) {
        building.add(type);
        try {
            return type.isRecord() ? record(type, building) : bean(type, building);
        }
        finally {
            building.remove(type);
        }
    }

    /**
     * The model of a property's type when the property is a nested object, or {@code null} when it is a value.
     */
    private static @Nullable TargetModel nested(Class<?> type, Set<Class<?>> building) {
        if (isValueType(type) || building.contains(type)) {
            // a type that contains itself would nest forever; it can still be read from a json column
            return null;
        }
        if (!type.isRecord() && findNoArgConstructor(type) == null) {
            return null;
        }
        TargetModel model = structured(type, building);
        return model.properties.isEmpty() ? null : model;
    }

    private static TargetModel record(Class<?> type, Set<Class<?>> building) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] parameterTypes = new Class<?>[components.length];
        List<Property> properties = new ArrayList<>(components.length);
        for (int i = 0; i < components.length; i++) {
            RecordComponent component = components[i];
            parameterTypes[i] = component.getType();
            properties.add(Property.of(component.getName(), component.getGenericType(), component.getType(),
                    component, null, building));
        }
        Constructor<?> canonical;
        try {
            canonical = type.getDeclaredConstructor(parameterTypes);
        }
        catch (NoSuchMethodException ex) {
            throw new RowMappingException("Cannot map rows to " + type.getName()
                    + ": its canonical constructor was not found", ex);
        }
        MethodHandle exact = unreflect(type, canonical);
        MethodHandle constructor = exact.asSpreader(Object[].class, components.length)
            .asType(MethodType.methodType(Object.class, Object[].class));
        return new TargetModel(type, Kind.RECORD, List.copyOf(properties), constructor, exact);
    }

    private static TargetModel bean(Class<?> type, Set<Class<?>> building) {
        if (type.isMemberClass() && !Modifier.isStatic(type.getModifiers())) {
            throw new RowMappingException("Cannot map rows to " + type.getName()
                    + ": it is an inner class, whose instances need an enclosing instance; declare it static");
        }
        Constructor<?> noArg = findNoArgConstructor(type);
        if (noArg == null) {
            throw new RowMappingException("Cannot map rows to " + type.getName()
                    + ": it needs a constructor without parameters (of any visibility) and setters or fields, "
                    + "or to be a record");
        }
        MethodHandle exact = unreflect(type, noArg);
        MethodHandle constructor = exact.asType(MethodType.methodType(Object.class));
        Map<String, Field> fields = new LinkedHashMap<>();
        Deque<Class<?>> hierarchy = new ArrayDeque<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            hierarchy.push(c);
        }
        for (Class<?> c : hierarchy) {
            for (Field field : c.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (!Modifier.isStatic(modifiers) && !Modifier.isFinal(modifiers) && !Modifier.isTransient(modifiers)
                        && !field.isSynthetic()) {
                    // a subclass's field hides its superclass's of the same name
                    fields.remove(field.getName());
                    fields.put(field.getName(), field);
                }
            }
        }
        Map<String, Method> setters = new LinkedHashMap<>();
        for (Method method : type.getMethods()) {
            if (isSetter(method)) {
                String name = propertyName(method.getName().substring(3));
                Method existing = setters.get(name);
                Field field = fieldOf(fields, name);
                // of overloaded setters, prefer the one that takes the field's type
                if (existing == null || (field != null && method.getParameterTypes()[0] == field.getType())) {
                    setters.put(name, method);
                }
            }
        }
        List<Property> properties = new ArrayList<>();
        for (Map.Entry<String, Method> entry : setters.entrySet()) {
            Method setter = entry.getValue();
            Field field = fieldOf(fields, entry.getKey());
            if (field != null) {
                // the setter stands for the field: the column is matched once
                fields.remove(field.getName());
            }
            AnnotatedElement[] annotated = (field != null)
                    ? new AnnotatedElement[] { setter, setter.getParameters()[0], field }
                    : new AnnotatedElement[] { setter, setter.getParameters()[0] };
            MethodHandle handle = unreflect(setter.getDeclaringClass(), setter);
            properties.add(Property.of(entry.getKey(), setter.getGenericParameterTypes()[0],
                    setter.getParameterTypes()[0], new Annotated(annotated), handle, building));
        }
        for (Field field : fields.values()) {
            MethodHandle handle = unreflectSetter(field);
            properties.add(Property.of(field.getName(), field.getGenericType(), field.getType(), field,
                    handle, building));
        }
        return new TargetModel(type, Kind.BEAN, List.copyOf(properties), constructor, exact);
    }

    /** The field behind a setter's property: {@code setURL} sets {@code url}, matched as columns are. */
    private static @Nullable Field fieldOf(Map<String, Field> fields, String property) {
        Field field = fields.get(property);
        if (field != null) {
            return field;
        }
        String normalised = ResultColumn.normalise(property);
        for (Field candidate : fields.values()) {
            if (ResultColumn.normalise(candidate.getName()).equals(normalised)) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean isSetter(Method method) {
        return method.getName().length() > 3 && method.getName().startsWith("set") && method.getParameterCount() == 1
                && !Modifier.isStatic(method.getModifiers()) && !method.isBridge() && !method.isSynthetic()
                && method.getDeclaringClass() != Object.class;
    }

    /** The JavaBeans rule: {@code URL} stays {@code URL}, {@code Name} becomes {@code name}. */
    private static String propertyName(String capitalised) {
        if (capitalised.length() > 1 && Character.isUpperCase(capitalised.charAt(1))) {
            return capitalised;
        }
        return Character.toLowerCase(capitalised.charAt(0)) + capitalised.substring(1);
    }

    private static @Nullable Constructor<?> findNoArgConstructor(Class<?> type) {
        if (Modifier.isAbstract(type.getModifiers())
                || (type.isMemberClass() && !Modifier.isStatic(type.getModifiers()))) {
            return null;
        }
        try {
            return type.getDeclaredConstructor();
        }
        catch (NoSuchMethodException ex) {
            return null;
        }
    }

    /**
     * A lookup that can use the private members of the target class, so that records and classes nested
     * privately in the application's code work; {@code null} when the class's module does not open it.
     */
    private static MethodHandles.@Nullable Lookup privateLookup(Class<?> type) {
        try {
            return MethodHandles.privateLookupIn(type, MethodHandles.lookup());
        }
        catch (IllegalAccessException ex) {
            return null;
        }
    }

    private static MethodHandle unreflect(Class<?> owner, Constructor<?> constructor) {
        MethodHandles.Lookup lookup = privateLookup(owner);
        try {
            if (lookup != null) {
                return lookup.unreflectConstructor(constructor);
            }
        }
        catch (IllegalAccessException ex) {
            // fall through to setAccessible
        }
        try {
            constructor.setAccessible(true);
            return MethodHandles.lookup().unreflectConstructor(constructor);
        }
        catch (IllegalAccessException | InaccessibleObjectException | SecurityException ex) {
            throw inaccessible(owner, "constructor", ex);
        }
    }

    private static MethodHandle unreflect(Class<?> owner, Method method) {
        MethodHandles.Lookup lookup = privateLookup(owner);
        try {
            if (lookup != null) {
                return lookup.unreflect(method);
            }
        }
        catch (IllegalAccessException ex) {
            // fall through to setAccessible
        }
        try {
            method.setAccessible(true);
            return MethodHandles.lookup().unreflect(method);
        }
        catch (IllegalAccessException | InaccessibleObjectException | SecurityException ex) {
            throw inaccessible(owner, "method " + method.getName(), ex);
        }
    }

    private static MethodHandle unreflectSetter(Field field) {
        Class<?> owner = field.getDeclaringClass();
        MethodHandles.Lookup lookup = privateLookup(owner);
        try {
            if (lookup != null) {
                return lookup.unreflectSetter(field);
            }
        }
        catch (IllegalAccessException ex) {
            // fall through to setAccessible
        }
        try {
            field.setAccessible(true);
            return MethodHandles.lookup().unreflectSetter(field);
        }
        catch (IllegalAccessException | InaccessibleObjectException | SecurityException ex) {
            throw inaccessible(owner, "field " + field.getName(), ex);
        }
    }

    private static RowMappingException inaccessible(Class<?> owner, String member, Exception ex) {
        return new RowMappingException("Cannot map rows to " + owner.getName() + ": its " + member
                + " is not accessible; open its package to nexs-postgres (opens in module-info), or make the class "
                + "and the member public", ex);
    }

    /**
     * The class a type erases to.
     * @param type a class, parameterised type, array type, type variable or wildcard
     * @return its erasure
     */
    static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType parameterized) {
            return rawClass(parameterized.getRawType());
        }
        if (type instanceof GenericArrayType array) {
            return rawClass(array.getGenericComponentType()).arrayType();
        }
        if (type instanceof TypeVariable<?> variable) {
            Type[] bounds = variable.getBounds();
            return (bounds.length > 0) ? rawClass(bounds[0]) : Object.class;
        }
        if (type instanceof WildcardType wildcard) {
            Type[] upper = wildcard.getUpperBounds();
            return (upper.length > 0) ? rawClass(upper[0]) : Object.class;
        }
        return Object.class;
    }

    /**
     * A type argument of a parameterised type.
     * @param type the type
     * @param index the argument's position
     * @return the argument, {@code Object} when the type is raw
     */
    static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType parameterized && parameterized.getActualTypeArguments().length > index) {
            Type argument = parameterized.getActualTypeArguments()[index];
            if (argument instanceof WildcardType wildcard) {
                Type[] upper = wildcard.getUpperBounds();
                return (upper.length > 0) ? upper[0] : Object.class;
            }
            return argument;
        }
        return Object.class;
    }

    /**
     * A type as messages name it: {@code int}, {@code List<Item>}, {@code Map<String, Object>}.
     * @param type the type
     * @return its short name
     */
    static String describe(Type type) {
        if (type instanceof Class<?> c) {
            return c.isArray() ? describe(c.getComponentType()) + "[]" : c.getSimpleName();
        }
        if (type instanceof ParameterizedType parameterized) {
            StringBuilder name = new StringBuilder(describe(parameterized.getRawType())).append('<');
            Type[] arguments = parameterized.getActualTypeArguments();
            for (int i = 0; i < arguments.length; i++) {
                name.append((i > 0) ? ", " : "").append(describe(arguments[i]));
            }
            return name.append('>').toString();
        }
        if (type instanceof GenericArrayType array) {
            return describe(array.getGenericComponentType()) + "[]";
        }
        return type.getTypeName();
    }

    /**
     * How the kinds of target are built.
     */
    enum Kind {

        /** Read from a single column. */
        VALUE,

        /** Built by its canonical constructor. */
        RECORD,

        /** Built by a constructor without parameters, then setters or fields. */
        BEAN

    }

    /**
     * What a property does with a column's NULL and with its value once read.
     */
    enum Wrapping {

        /** The value as read; NULL is {@code null}. */
        NONE,

        /** A primitive: NULL cannot be stored. */
        PRIMITIVE,

        /** {@code Optional<X>}. */
        OPTIONAL,

        /** {@code OptionalInt}. */
        OPTIONAL_INT,

        /** {@code OptionalLong}. */
        OPTIONAL_LONG,

        /** {@code OptionalDouble}. */
        OPTIONAL_DOUBLE

    }

    /**
     * A record component, bean property or field.
     *
     * @param name the Java name
     * @param type the declared type, possibly generic
     * @param valueType the type a column is converted to: {@code type} unwrapped from {@code Optional}
     * @param wrapping what happens to the converted value
     * @param column the {@link Column} label, if annotated
     * @param prefix the {@link Embedded} prefix, if annotated
     * @param nested the model of {@code valueType} when it can be a nested object
     * @param setter for beans, the setter or field setter as {@code (Object,Object)void}
     * @param exactSetter for beans, the setter or field setter with its own types
     */
    record Property(String name, Type type, Type valueType, Wrapping wrapping, @Nullable String column,
            @Nullable String prefix, @Nullable TargetModel nested, @Nullable MethodHandle setter,
            @Nullable MethodHandle exactSetter) {

        static Property of(String name, Type type, Class<?> raw, AnnotatedElement annotated,
                @Nullable MethodHandle exactSetter, Set<Class<?>> building) {
            Wrapping wrapping;
            Type valueType;
            if (raw == Optional.class) {
                wrapping = Wrapping.OPTIONAL;
                valueType = typeArgument(type, 0);
            }
            else if (raw == OptionalInt.class) {
                wrapping = Wrapping.OPTIONAL_INT;
                valueType = Integer.class;
            }
            else if (raw == OptionalLong.class) {
                wrapping = Wrapping.OPTIONAL_LONG;
                valueType = Long.class;
            }
            else if (raw == OptionalDouble.class) {
                wrapping = Wrapping.OPTIONAL_DOUBLE;
                valueType = Double.class;
            }
            else {
                wrapping = raw.isPrimitive() ? Wrapping.PRIMITIVE : Wrapping.NONE;
                valueType = type;
            }
            Column column = annotated.getAnnotation(Column.class);
            Embedded embedded = annotated.getAnnotation(Embedded.class);
            return new Property(name, type, valueType, wrapping, (column != null) ? column.value() : null,
                    (embedded != null) ? embedded.prefix() : null, TargetModel.nested(rawClass(valueType), building),
                    (exactSetter != null)
                            ? exactSetter.asType(MethodType.methodType(void.class, Object.class, Object.class)) : null,
                    exactSetter);
        }

        /**
         * The label a column needs to match this property without {@link Column}, as messages show it.
         * @return the name in snake_case
         */
        String snakeName() {
            StringBuilder snake = new StringBuilder();
            for (int i = 0; i < this.name.length(); i++) {
                char c = this.name.charAt(i);
                if (Character.isUpperCase(c) && i > 0 && !Character.isUpperCase(this.name.charAt(i - 1))) {
                    snake.append('_');
                }
                snake.append(Character.toLowerCase(c));
            }
            return snake.toString().toLowerCase(Locale.ROOT);
        }

    }

    /**
     * The annotations of a bean property, gathered from its setter, the setter's parameter and its field.
     */
    private record Annotated(AnnotatedElement[] elements) implements AnnotatedElement {

        @Override
        public <A extends java.lang.annotation.Annotation> @Nullable A getAnnotation(Class<A> annotationClass) {
            for (AnnotatedElement element : this.elements) {
                A annotation = element.getAnnotation(annotationClass);
                if (annotation != null) {
                    return annotation;
                }
            }
            return null;
        }

        @Override
        public java.lang.annotation.Annotation[] getAnnotations() {
            return new java.lang.annotation.Annotation[0];
        }

        @Override
        public java.lang.annotation.Annotation[] getDeclaredAnnotations() {
            return new java.lang.annotation.Annotation[0];
        }

    }

}
