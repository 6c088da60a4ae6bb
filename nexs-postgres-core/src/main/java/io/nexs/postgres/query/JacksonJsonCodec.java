package io.nexs.postgres.query;

import java.lang.reflect.Type;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link JsonCodec} on Jackson 3, the JSON library of Spring Boot 4.
 *
 * <p>Jackson's own messages can quote the document (a value that does not fit a field, for instance), and a
 * document may hold tenant data, so failures are reported as an {@link IllegalArgumentException} that names the
 * target type, the path of properties and indexes within the document, and the kind of failure, but no content;
 * map keys in the path are not shown either, as they are data too.
 */
public final class JacksonJsonCodec implements JsonCodec {

    private final ObjectMapper mapper;

    /**
     * Creates a codec on a mapper configured by the application, such as Spring Boot's {@code JsonMapper}.
     * @param mapper the mapper
     */
    public JacksonJsonCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Creates a codec on a mapper with Jackson's defaults.
     */
    public JacksonJsonCodec() {
        this(JsonMapper.builder().build());
    }

    /**
     * Reads a document with the mapper.
     * @param json the document's text
     * @param type the Java type to bind it to, possibly generic
     * @return the bound value, {@code null} for the document {@code null}
     * @throws IllegalArgumentException when the document does not parse or bind; the message names the type,
     * the path and the kind of failure, not the content
     */
    @Override
    public @Nullable Object read(String json, Type type) {
        try {
            return this.mapper.readValue(json, this.mapper.constructType(type));
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("the JSON document does not bind to " + type.getTypeName()
                    + describe(ex));
        }
    }

    /**
     * Writes a value with the mapper.
     * @param value the value
     * @return the document's text
     * @throws IllegalArgumentException when the value cannot be written; the message names its class only
     */
    @Override
    public String write(@Nullable Object value) {
        try {
            return this.mapper.writeValueAsString(value);
        }
        catch (JacksonException ex) {
            throw new IllegalArgumentException("a " + ((value != null) ? value.getClass().getName() : "null")
                    + " cannot be written as JSON" + describe(ex));
        }
    }

    /** The failure's kind and where in the document it is, without content. */
    private static String describe(JacksonException ex) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : ex.getPath()) {
            if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
            else if (reference.getPropertyName() != null) {
                Object from = reference.from();
                boolean data = from instanceof Map<?, ?> || from instanceof JsonNode;
                path.append('.').append(data ? "*" : reference.getPropertyName());
            }
        }
        return ((path.length() > 0) ? " at $" + path : "") + " (" + ex.getClass().getSimpleName() + ")";
    }

    @Override
    public String toString() {
        return "JacksonJsonCodec[" + this.mapper.getClass().getSimpleName() + "]";
    }

}
