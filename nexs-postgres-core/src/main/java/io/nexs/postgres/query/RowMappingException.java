package io.nexs.postgres.query;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataRetrievalFailureException;

/**
 * A result set that cannot be mapped to the requested type. The message names the target class, the property,
 * the column and its SQL type; it never quotes the value.
 */
public class RowMappingException extends DataRetrievalFailureException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     * @param message what went wrong, with class, property, column and SQL type
     * @param cause the underlying failure, if any
     */
    public RowMappingException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates an exception without a cause.
     * @param message what went wrong, with class, property, column and SQL type
     */
    public RowMappingException(String message) {
        super(message);
    }

}
