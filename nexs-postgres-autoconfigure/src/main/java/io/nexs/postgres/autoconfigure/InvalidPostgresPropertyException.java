package io.nexs.postgres.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * A {@code nexs.postgres.*} property holds a value nexs-postgres cannot start with. The value is {@code null}
 * for secrets, and URLs carry no password.
 */
public class InvalidPostgresPropertyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final @Nullable String value;

    private final String reason;

    private final String action;

    /**
     * Creates the exception.
     * @param property the full property name, for example {@code nexs.postgres.pool.max-size}
     * @param value the offending value as the user wrote it, or {@code null} when it must not be shown
     * @param reason why the value cannot be used
     * @param action what the user should change
     */
    public InvalidPostgresPropertyException(String property, @Nullable String value, String reason, String action) {
        super("Invalid value for '" + property + "': " + reason);
        this.property = property;
        this.value = value;
        this.reason = reason;
        this.action = action;
    }

    /**
     * The property in error.
     * @return the full property name
     */
    public String getProperty() {
        return this.property;
    }

    /**
     * The value in error, safe to print.
     * @return the value, or {@code null} when absent or secret
     */
    public @Nullable String getValue() {
        return this.value;
    }

    /**
     * Why the value cannot be used.
     * @return the reason
     */
    public String getReason() {
        return this.reason;
    }

    /**
     * What to change.
     * @return the action
     */
    public String getAction() {
        return this.action;
    }

}
