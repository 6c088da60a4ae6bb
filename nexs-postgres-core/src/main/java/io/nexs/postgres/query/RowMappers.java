package io.nexs.postgres.query;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.jspecify.annotations.Nullable;

/**
 * The row mappers of one application: one {@link ObjectRowMapper} per target class, created on first use and
 * kept, so the reflection work for a class is done once. Thread-safe.
 *
 * <p>Targets are records (through their canonical constructor), JavaBeans (a constructor without parameters and
 * setters), classes with fields (set directly where there is no setter), and simple types read from a
 * single-column result ({@code String}, {@code Long}, {@code UUID}, an enum...). Columns match properties by
 * name, ignoring case and underscores ({@code created_at} fills {@code createdAt}), or by {@link Column}; a
 * property whose type is itself a record or bean is filled from prefixed columns ({@code address_city} fills
 * {@code address.city}; see {@link Embedded}).
 */
public final class RowMappers {

    private final UnmappedColumns unmappedColumns;

    private final @Nullable JsonCodec json;

    private final ConcurrentMap<Class<?>, ObjectRowMapper<?>> mappers = new ConcurrentHashMap<>();

    /**
     * Creates the registry.
     * @param unmappedColumns what to do with a column no property takes
     * @param json how to read json and jsonb columns into types other than {@code String}, or {@code null}
     * when no JSON library is available
     */
    public RowMappers(UnmappedColumns unmappedColumns, @Nullable JsonCodec json) {
        this.unmappedColumns = unmappedColumns;
        this.json = json;
    }

    /**
     * The codec that reads json columns into types other than {@code String}.
     * @return the codec, or {@code null} when there is none
     */
    public @Nullable JsonCodec json() {
        return this.json;
    }

    /**
     * The mapper of a target class.
     * @param <T> the target type
     * @param type a record, a JavaBean, a class with fields, or a simple type for single-column results
     * @return the mapper, the same instance on every call for the same class
     * @throws RowMappingException when the class cannot be a target (no usable constructor, for instance)
     */
    @SuppressWarnings("unchecked")
    public <T> ObjectRowMapper<T> forType(Class<T> type) {
        ObjectRowMapper<?> mapper = this.mappers.get(type);
        if (mapper == null) {
            // built outside computeIfAbsent: building a model may look at other classes, and a failure is
            // simply not cached
            mapper = new ObjectRowMapper<>(type, this.unmappedColumns, this.json);
            ObjectRowMapper<?> raced = this.mappers.putIfAbsent(type, mapper);
            if (raced != null) {
                mapper = raced;
            }
        }
        return (ObjectRowMapper<T>) mapper;
    }

}
