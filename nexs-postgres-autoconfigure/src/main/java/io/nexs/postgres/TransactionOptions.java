package io.nexs.postgres;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.transaction.annotation.Isolation;

/**
 * How {@link PostgresOperations#inTransaction(TransactionOptions, org.springframework.transaction.support.TransactionCallback)}
 * runs its transaction. Immutable; each {@code with} method returns a copy.
 * <pre>{@code
 * TransactionOptions report = TransactionOptions.defaults()
 *         .isolation(Isolation.SERIALIZABLE).readOnly(true).deferrable(true);
 * }</pre>
 *
 * @param isolation the isolation level; {@link Isolation#DEFAULT} keeps the server's
 * ({@code default_transaction_isolation}, read committed unless configured)
 * @param readOnly whether the transaction may not write ({@code BEGIN READ ONLY})
 * @param deferrable whether a serializable read-only transaction waits for a snapshot that cannot fail with
 * a serialization error; ignored otherwise, as PostgreSQL ignores it
 * @param savepoint whether, inside an outer transaction, the work runs under a savepoint rather than joining
 * @param timeout how long the transaction may take before it is rolled back, or {@code null} for no limit
 */
public record TransactionOptions(Isolation isolation, boolean readOnly, boolean deferrable, boolean savepoint,
        @Nullable Duration timeout) {

    private static final TransactionOptions DEFAULTS = new TransactionOptions(Isolation.DEFAULT, false, false,
            false, null);

    /**
     * Read-write, the server's isolation level, joining an outer transaction, no timeout.
     * @return the default options
     */
    public static TransactionOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A copy with another isolation level.
     * @param isolation the isolation level
     * @return the copy
     */
    public TransactionOptions isolation(Isolation isolation) {
        return new TransactionOptions(isolation, this.readOnly, this.deferrable, this.savepoint, this.timeout);
    }

    /**
     * A copy that is read-only or not.
     * @param readOnly whether the transaction may not write
     * @return the copy
     */
    public TransactionOptions readOnly(boolean readOnly) {
        return new TransactionOptions(this.isolation, readOnly, this.deferrable, this.savepoint, this.timeout);
    }

    /**
     * A copy that is deferrable or not.
     * @param deferrable whether a serializable read-only transaction waits for a safe snapshot
     * @return the copy
     */
    public TransactionOptions deferrable(boolean deferrable) {
        return new TransactionOptions(this.isolation, this.readOnly, deferrable, this.savepoint, this.timeout);
    }

    /**
     * A copy that uses a savepoint inside an outer transaction, or joins it.
     * @param savepoint whether to use a savepoint
     * @return the copy
     */
    public TransactionOptions savepoint(boolean savepoint) {
        return new TransactionOptions(this.isolation, this.readOnly, this.deferrable, savepoint, this.timeout);
    }

    /**
     * A copy with a timeout.
     * @param timeout how long the transaction may take, or {@code null} for no limit
     * @return the copy
     */
    public TransactionOptions timeout(@Nullable Duration timeout) {
        return new TransactionOptions(this.isolation, this.readOnly, this.deferrable, this.savepoint, timeout);
    }

}
