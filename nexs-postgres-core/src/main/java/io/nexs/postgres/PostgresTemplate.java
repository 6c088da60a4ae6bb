package io.nexs.postgres;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import javax.sql.DataSource;

import io.nexs.postgres.copy.CopyOperations;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.copy.DefaultCopyOperations;
import io.nexs.postgres.execution.NodeRouting;
import io.nexs.postgres.execution.OperationRunner;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.tx.Retrier;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionCallback;

/**
 * {@link PostgresOperations} over a {@link DataSource}: the pool of one node, or any data source the
 * application gives it. Connections come from Spring's {@link DataSourceUtils}, so a transaction bound to the
 * thread by {@code @Transactional} or {@link #inTransaction(TransactionOptions, TransactionCallback)} is joined.
 * Thread-safe; create one per data source and share it.
 */
public class PostgresTemplate implements PostgresOperations {

    /** Rows per round trip of a stream, when none is configured. */
    public static final int DEFAULT_FETCH_SIZE = 1000;

    /** The one path every call of this template takes. */
    private final OperationRunner runner;

    private final CopyOperations copies;

    /** The template whose COPY defaults this one uses, or {@code null} when it keeps its own. */
    private final @Nullable PostgresTemplate copyDefaultsOwner;

    private final @Nullable String description;

    private volatile CopyOptions copyDefaults = CopyOptions.defaults();

    /**
     * Creates a template with default settings: unmapped columns ignored, no JSON binding beyond
     * {@code String}, streams fetching {@value #DEFAULT_FETCH_SIZE} rows per round trip.
     * @param dataSource the data source
     */
    public PostgresTemplate(DataSource dataSource) {
        this(dataSource, new RowMappers(UnmappedColumns.IGNORE, null), DEFAULT_FETCH_SIZE);
    }

    /**
     * Creates a template.
     * @param dataSource the data source
     * @param rowMappers the row mappers, shared by the templates of an application
     * @param fetchSize rows per round trip of a stream
     */
    public PostgresTemplate(DataSource dataSource, RowMappers rowMappers, int fetchSize) {
        this(dataSource, rowMappers, fetchSize, HookManager.none(), Retrier.disabled());
    }

    /**
     * Creates a template with hooks and retries.
     * @param dataSource the data source
     * @param rowMappers the row mappers, shared by the templates of an application
     * @param fetchSize rows per round trip of a stream
     * @param hooks the hooks to call around every operation
     * @param retrier how transient failures are retried
     */
    public PostgresTemplate(DataSource dataSource, RowMappers rowMappers, int fetchSize, HookManager hooks,
            Retrier retrier) {
        this(new OperationRunner(Objects.requireNonNull(dataSource, "dataSource"), NodeRouting.of(dataSource),
                rowMappers, fetchSize, hooks, retrier), null, null);
    }

    /**
     * Creates a template over an execution path.
     * @param runner the path every call takes
     * @param copyDefaultsOwner the template whose COPY defaults to use, or {@code null} to keep its own
     * @param description what {@link #toString()} says, or {@code null} for the default
     */
    PostgresTemplate(OperationRunner runner, @Nullable PostgresTemplate copyDefaultsOwner,
            @Nullable String description) {
        this.runner = runner;
        this.copies = new DefaultCopyOperations(runner, this::getCopyDefaults);
        this.copyDefaultsOwner = copyDefaultsOwner;
        this.description = description;
    }

    /**
     * The hooks this template calls.
     * @return the hook manager
     */
    public HookManager getHooks() {
        return this.runner.hooks();
    }

    /**
     * How this template retries, with its statistics.
     * @return the retrier
     */
    public Retrier getRetrier() {
        return this.runner.retrier();
    }

    /**
     * The options of a {@code COPY} in that is given none.
     * @return the options
     */
    public CopyOptions getCopyDefaults() {
        PostgresTemplate owner = this.copyDefaultsOwner;
        return (owner != null) ? owner.getCopyDefaults() : this.copyDefaults;
    }

    /**
     * Sets the options of a {@code COPY} in that is given none; {@code nexs.postgres.copy.*} sets them for the
     * application's provider.
     * @param copyDefaults the options
     */
    public void setCopyDefaults(CopyOptions copyDefaults) {
        this.copyDefaults = Objects.requireNonNull(copyDefaults, "copyDefaults");
    }

    /**
     * The row mappers this template maps to classes with.
     * @return the row mappers
     */
    public RowMappers getRowMappers() {
        return this.runner.rowMappers();
    }

    OperationRunner runner() {
        return this.runner;
    }

    @Override
    public <T> List<T> queryAll(Class<T> type, String sql, Object... args) {
        return this.runner.queryAll(type, sql, args);
    }

    @Override
    public <T> List<T> queryAll(String sql, RowMapper<T> mapper, Object... args) {
        return this.runner.queryAll(sql, mapper, args);
    }

    @Override
    public <T> Optional<T> queryOne(Class<T> type, String sql, Object... args) {
        return this.runner.queryOne(type, sql, args);
    }

    @Override
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
        return this.runner.queryOne(sql, mapper, args);
    }

    @Override
    public long queryCount(String sql, Object... args) {
        return this.runner.queryCount(sql, args);
    }

    @Override
    public int exec(String sql, Object... args) {
        return this.runner.exec(sql, args);
    }

    @Override
    public void notify(String channel, String payload) {
        this.runner.notify(channel, payload);
    }

    @Override
    public int[] batch(String sql, Iterable<?> parameterSets) {
        return this.runner.batch(sql, parameterSets);
    }

    @Override
    public CopyOperations copy() {
        return this.copies;
    }

    @Override
    public Pipeline pipeline() {
        return new Pipeline(this.runner);
    }

    @Override
    public <T> Stream<T> stream(Class<T> type, String sql, Object... args) {
        return this.runner.stream(type, sql, args);
    }

    @Override
    public <T> Stream<T> stream(String sql, RowMapper<T> mapper, Object... args) {
        return this.runner.stream(sql, mapper, args);
    }

    @Override
    public <T> long forEach(Class<T> type, String sql, Consumer<? super T> action, Object... args) {
        return this.runner.forEach(type, sql, action, args);
    }

    @Override
    public <T> T inTransaction(TransactionCallback<T> callback) {
        return inTransaction(TransactionOptions.defaults(), callback);
    }

    /**
     * {@inheritDoc}
     *
     * <p>When this call begins the transaction and retries are on, a transient failure (a serialization failure,
     * a deadlock, a lost connection, a failover) rolls the transaction back and runs the <em>whole callback</em>
     * again in a new transaction, up to the configured attempts. The callback must therefore be safe to run more
     * than once: everything it does through the database is undone by the rollback, but effects outside it (a
     * message sent, a field set, a counter bumped) are not. Inside a transaction the caller manages, nothing is
     * retried. When the connection is lost during {@code COMMIT}, the outcome is asked of the primary: a
     * committed transaction is not run again, and when no one can tell the caller gets
     * {@link io.nexs.postgres.tx.CommitOutcomeUnknownException}.
     */
    @Override
    public <T> T inTransaction(TransactionOptions options, TransactionCallback<T> callback) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(callback, "callback");
        boolean deferrable = options.deferrable() && options.readOnly()
                && options.isolation() == Isolation.SERIALIZABLE;
        return this.runner.inTransaction(definition(options), deferrable, callback);
    }

    private static TransactionDefinition definition(TransactionOptions options) {
        DefaultTransactionDefinition definition = new DefaultTransactionDefinition(options.savepoint()
                ? TransactionDefinition.PROPAGATION_NESTED : TransactionDefinition.PROPAGATION_REQUIRED);
        definition.setIsolationLevel(options.isolation().value());
        definition.setReadOnly(options.readOnly());
        Duration timeout = options.timeout();
        if (timeout != null) {
            definition.setTimeout((int) Math.max(1, (timeout.toMillis() + 999) / 1000));
        }
        return definition;
    }

    @Override
    public String toString() {
        return (this.description != null) ? this.description : super.toString();
    }

}
