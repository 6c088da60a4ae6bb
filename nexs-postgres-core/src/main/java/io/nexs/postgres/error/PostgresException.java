package io.nexs.postgres.error;

/**
 * Base class of the exceptions nexs-postgres raises itself. Messages name the node and the step; they never
 * carry passwords or bound parameter values.
 */
public class PostgresException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     * @param message what went wrong and where
     * @param cause the underlying failure, if any
     */
    public PostgresException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates an exception without a cause.
     * @param message what went wrong and where
     */
    public PostgresException(String message) {
        super(message);
    }

}
