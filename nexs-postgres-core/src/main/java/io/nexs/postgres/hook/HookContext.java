package io.nexs.postgres.hook;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.topology.NodeRole;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link PostgresHook} sees of one operation. One context follows an operation from its {@code before...}
 * to its {@code after...} and {@code onError} calls, so a hook can keep state between them in
 * {@link #attributes()}; the other properties are filled in by nexs-postgres as the operation runs.
 *
 * <p>Bound parameter values are only present when the application asked for them
 * ({@code nexs.postgres.hooks.include-parameters}); a hook that logs or exports them must treat them as the
 * application's data. A context belongs to the thread running the operation and is not thread-safe.
 */
public final class HookContext {

    /** {@link #rows()} when the number of rows is not known. */
    public static final long UNKNOWN_ROWS = -1;

    /**
     * The attribute of a {@link Operation#COPY} context that holds the bytes of buffer the {@code COPY} uses while
     * it runs, a {@code Long}; set before {@code beforeCopy}.
     */
    public static final String COPY_BUFFER_BYTES = "nexs.copy.bufferBytes";

    /**
     * The attribute of a {@link Operation#COPY} context that holds the bytes the {@code COPY} sent (in) or wrote
     * (out), a {@code Long}; set before {@code afterCopy} when it succeeded.
     */
    public static final String COPY_BYTES = "nexs.copy.bytes";

    private final Operation operation;

    private final String name;

    private final @Nullable String sql;

    private final int parameterCount;

    private final @Nullable Object @Nullable [] parameters;

    private final long startMillis;

    private final long startNanos;

    private int attempt = 1;

    private @Nullable String node;

    private @Nullable NodeRole role;

    private long durationNanos = -1;

    private long rows = UNKNOWN_ROWS;

    private @Nullable Throwable error;

    private @Nullable Map<String, Object> attributes;

    /** The transaction a {@link Operation#TRANSACTION} context belongs to. */
    @Nullable Object owner;

    /** The hooks registered when the operation started, which are the ones called until it ends. */
    @Nullable Object hooks;

    HookContext(Operation operation, String name, @Nullable String sql, int parameterCount,
            @Nullable Object @Nullable [] parameters) {
        this.operation = operation;
        this.name = name;
        this.sql = sql;
        this.parameterCount = parameterCount;
        this.parameters = parameters;
        this.startMillis = System.currentTimeMillis();
        this.startNanos = System.nanoTime();
    }

    /**
     * A context for a hook point of the application's own, to pass to {@link HookManager#fire(String, HookContext)}.
     * @param name the point's name, for example {@code cache-miss}
     * @return a context of kind {@link Operation#CUSTOM}, started now
     */
    public static HookContext custom(String name) {
        return new HookContext(Operation.CUSTOM, Objects.requireNonNull(name, "name"), null, 0, null);
    }

    /**
     * The kind of operation.
     * @return the kind
     */
    public Operation operation() {
        return this.operation;
    }

    /**
     * The name of the call, such as {@code queryAll}, {@code exec}, {@code batch}, {@code pipeline},
     * {@code stream}, {@code transaction}, {@code connection}, or a custom point's name.
     * @return the name
     */
    public String name() {
        return this.name;
    }

    /**
     * The SQL sent to the server, with {@code ?} placeholders; {@code null} for transactions, connections and
     * custom points.
     * @return the SQL, or {@code null}
     */
    public @Nullable String sql() {
        return this.sql;
    }

    /**
     * How many parameters the statement binds (for a batch: per parameter set).
     * @return the count
     */
    public int parameterCount() {
        return this.parameterCount;
    }

    /**
     * The bound parameter values, only when {@code nexs.postgres.hooks.include-parameters} is on; for a batch,
     * those of the first parameter set.
     * @return the values in order, or an empty list when they are not included
     */
    public List<@Nullable Object> parameters() {
        return (this.parameters != null) ? Collections.unmodifiableList(Arrays.asList(this.parameters))
                : Collections.emptyList();
    }

    /**
     * Whether {@link #parameters()} holds the values.
     * @return whether parameter values are included
     */
    public boolean hasParameters() {
        return this.parameters != null;
    }

    /**
     * Which execution of the operation this is: 1 for the first, 2 for the first retry, and so on.
     * @return the attempt, from 1
     */
    public int attempt() {
        return this.attempt;
    }

    /**
     * The node the operation runs on, once it has a connection.
     * @return the node's name, or {@code null} when not known (yet)
     */
    public @Nullable String node() {
        return this.node;
    }

    /**
     * The role of {@link #node()} when the operation got its connection.
     * @return the role, or {@code null} when the node is not known
     */
    public @Nullable NodeRole role() {
        return this.role;
    }

    /**
     * When the operation started.
     * @return the wall-clock start
     */
    public Instant startTime() {
        return Instant.ofEpochMilli(this.startMillis);
    }

    /**
     * How long the operation took; in {@code before...} methods, how long it has been running.
     * @return the duration
     */
    public Duration duration() {
        return Duration.ofNanos(durationNanos());
    }

    /**
     * {@link #duration()} in nanoseconds, without creating a {@link Duration}.
     * @return the duration in nanoseconds
     */
    public long durationNanos() {
        return (this.durationNanos >= 0) ? this.durationNanos : System.nanoTime() - this.startNanos;
    }

    /**
     * The rows a query returned or a statement affected, once the operation is over.
     * @return the rows, or {@link #UNKNOWN_ROWS}
     */
    public long rows() {
        return this.rows;
    }

    /**
     * Why the operation failed, once it is over.
     * @return the exception the caller gets, or {@code null} when it succeeded
     */
    public @Nullable Throwable error() {
        return this.error;
    }

    /**
     * Whether the operation failed.
     * @return whether {@link #error()} is set
     */
    public boolean failed() {
        return this.error != null;
    }

    /**
     * The SQLSTATE of the server's or driver's error, found in the cause chain of {@link #error()}.
     * @return the SQLSTATE, or {@code null} when the operation succeeded or the failure has none
     */
    public @Nullable String sqlState() {
        return SqlStates.of(this.error);
    }

    /**
     * Values hooks keep for the duration of the operation, for example a timer started in a {@code before...}
     * method and stopped in the {@code after...} one. Shared by all hooks: prefix keys with the hook's name.
     * @return the mutable attributes
     */
    public Map<String, Object> attributes() {
        Map<String, Object> attributes = this.attributes;
        if (attributes == null) {
            attributes = new HashMap<>(4);
            this.attributes = attributes;
        }
        return attributes;
    }

    /**
     * One attribute, without creating the attribute map when no hook used it.
     * @param key the key
     * @return its value, or {@code null}
     */
    public @Nullable Object attribute(String key) {
        Map<String, Object> attributes = this.attributes;
        return (attributes != null) ? attributes.get(key) : null;
    }

    void attempt(int attempt) {
        this.attempt = attempt;
    }

    void node(@Nullable String node, @Nullable NodeRole role) {
        this.node = node;
        this.role = role;
    }

    void duration(long nanos) {
        this.durationNanos = nanos;
    }

    void finish(long rows, @Nullable Throwable error) {
        this.durationNanos = System.nanoTime() - this.startNanos;
        this.rows = rows;
        this.error = error;
    }

    @Override
    public String toString() {
        return "HookContext[" + this.operation.label() + " " + this.name + ((this.node != null) ? " on " + this.node : "")
                + "]";
    }

}
