package io.nexs.postgres.query;

import java.lang.reflect.Type;

import org.jspecify.annotations.Nullable;

/**
 * Reads {@code json} and {@code jsonb} values into Java objects and writes them back. Row mapping uses it for a
 * json column whose target is not {@code String}; {@link JacksonJsonCodec} is the implementation used when
 * Jackson is on the class path.
 */
public interface JsonCodec {

    /**
     * Reads a JSON document.
     * @param json the document's text
     * @param type the Java type to bind it to, possibly generic
     * @return the bound value
     * @throws IllegalArgumentException when the document does not bind to the type; the message must not
     * quote the document
     */
    @Nullable Object read(String json, Type type);

    /**
     * Writes a value as a JSON document, for code that sends JSON to the server. Query parameters do not use
     * it: bind the document's text and cast it ({@code ?::jsonb}).
     * @param value the value
     * @return the document's text
     */
    String write(@Nullable Object value);

}
