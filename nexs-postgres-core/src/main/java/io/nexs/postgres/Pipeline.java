package io.nexs.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.nexs.postgres.execution.OperationRunner;
import io.nexs.postgres.execution.StatementParameters;

/**
 * Different statements sent to the server in one round trip and run as one unit: with auto-commit they run as one
 * transaction of their own, so a failing statement undoes those before it; inside a transaction they join it.
 * Not thread-safe; build one per use.
 * <pre>{@code
 * int[] counts = postgres.pipeline()
 *         .add("update accounts set balance = balance - ? where id = ?", amount, from)
 *         .add("update accounts set balance = balance + ? where id = ?", amount, to)
 *         .add("insert into transfers (source, target, amount) values (?, ?, ?)", from, to, amount)
 *         .execute();
 * }</pre>
 */
public final class Pipeline {

    private final OperationRunner runner;

    private final List<StatementParameters> statements = new ArrayList<>();

    Pipeline(OperationRunner runner) {
        this.runner = runner;
    }

    /**
     * Adds a statement.
     * @param sql one statement, with {@code ?} parameters or (when {@code args} is a single
     * {@link io.nexs.postgres.query.NamedParameters}) {@code :name} parameters; it may not contain {@code ;}
     * @param args its parameters
     * @return this pipeline
     * @throws IllegalArgumentException when the SQL holds a {@code ;}, which would make the statements and their
     * counts disagree
     */
    public Pipeline add(String sql, Object... args) {
        Objects.requireNonNull(sql, "sql");
        String trimmed = sql.strip();
        while (trimmed.endsWith(";")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1).strip();
        }
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("Statement " + (this.statements.size() + 1)
                    + " of the pipeline is empty");
        }
        if (trimmed.indexOf(';') >= 0) {
            throw new IllegalArgumentException("Statement " + (this.statements.size() + 1)
                    + " of the pipeline holds a ';': add one statement per call, and pass values that contain"
                    + " ';' as parameters");
        }
        this.statements.add(StatementParameters.of(trimmed, args));
        return this;
    }

    /**
     * The number of statements added so far.
     * @return the number of statements
     */
    public int size() {
        return this.statements.size();
    }

    /**
     * Sends every statement in one round trip.
     * @return the count of each statement, in order: rows affected, or rows returned by a query
     * @throws io.nexs.postgres.error.OutcomeUnknownException when, outside a transaction, the connection was lost
     * after the statement was sent: it may or may not have been applied, and it is not retried
     */
    public int[] execute() {
        return this.runner.pipeline(List.copyOf(this.statements));
    }

}
