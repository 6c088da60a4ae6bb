package io.nexs.postgres.test;

import org.jspecify.annotations.Nullable;

/**
 * Failure of the test kit: names the step that failed (for example {@code extract}, {@code initdb},
 * {@code start}, {@code stop}, {@code promote}), the node it happened on, and carries the tail of the
 * server log or the failing command's output when there is one.
 */
public class PostgresNodeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String step;

    private final @Nullable String node;

    private final @Nullable String logTail;

    /**
     * A failure without log tail or cause.
     * @param step the step that failed, e.g. {@code start}
     * @param node name of the node, or {@code null} for node-independent steps
     * @param message what went wrong
     */
    public PostgresNodeException(String step, @Nullable String node, String message) {
        this(step, node, message, null, null);
    }

    /**
     * A failure with the tail of the server log or command output and the underlying cause.
     * @param step the step that failed, e.g. {@code start}
     * @param node name of the node, or {@code null} for node-independent steps
     * @param message what went wrong
     * @param logTail the last lines of the server log or of the failing command's output, if any
     * @param cause the underlying exception, if any
     */
    public PostgresNodeException(String step, @Nullable String node, String message, @Nullable String logTail,
            @Nullable Throwable cause) {
        super(format(step, node, message, logTail), cause);
        this.step = step;
        this.node = node;
        this.logTail = logTail;
    }

    /** The step that failed, e.g. {@code initdb} or {@code start}. */
    public String step() {
        return this.step;
    }

    /** Name of the node the step ran for, or {@code null} for node-independent steps such as {@code extract}. */
    public @Nullable String node() {
        return this.node;
    }

    /** Tail of the server log or of the failing command's output, if any. */
    public @Nullable String logTail() {
        return this.logTail;
    }

    private static String format(String step, @Nullable String node, String message, @Nullable String logTail) {
        StringBuilder text = new StringBuilder("PostgreSQL ").append(step).append(" failed");
        if (node != null) {
            text.append(" for node '").append(node).append('\'');
        }
        text.append(": ").append(message);
        if (logTail != null && !logTail.isBlank()) {
            text.append(System.lineSeparator()).append("--- log tail ---").append(System.lineSeparator())
                    .append(logTail.strip());
        }
        return text.toString();
    }
}
