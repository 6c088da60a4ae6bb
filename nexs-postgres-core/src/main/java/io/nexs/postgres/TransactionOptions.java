package io.nexs.postgres;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.transaction.annotation.Isolation;

/**
 * How {@link PostgresOperations#inTransaction(TransactionOptions, org.springframework.transaction.support.TransactionCallback)}
 * runs its transaction. Immutable; each {@code with...} method returns a copy.
 *
 * <p>The options shape a transaction that {@code inTransaction} begins. When it joins an outer transaction, an
 * isolation level other than {@link Isolation#DEFAULT} must match the outer one, and a read-write request cannot
 * join a read-only transaction: either mismatch fails with
 * {@link org.springframework.transaction.IllegalTransactionStateException} rather than being silently ignored.
 * <pre>{@code
 * TransactionOptions report = TransactionOptions.defaults()
 *         .withIsolation(Isolation.SERIALIZABLE).withReadOnly(true).withDeferrable(true);
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
     * Checks the options.
     * @param isolation the isolation level
     * @param readOnly whether the transaction may not write
     * @param deferrable whether a serializable read-only transaction waits for a safe snapshot
     * @param savepoint whether to use a savepoint inside an outer transaction
     * @param timeout the timeout, or {@code null}
     */
    public TransactionOptions {
        Objects.requireNonNull(isolation, "isolation: use Isolation.DEFAULT for the server's level");
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("The transaction timeout must be positive, not " + timeout
                    + "; use null for no timeout");
        }
    }

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
    public TransactionOptions withIsolation(Isolation isolation) {
        return new TransactionOptions(isolation, this.readOnly, this.deferrable, this.savepoint, this.timeout);
    }

    /**
     * A copy that is read-only or not.
     * @param readOnly whether the transaction may not write
     * @return the copy
     */
    public TransactionOptions withReadOnly(boolean readOnly) {
        return new TransactionOptions(this.isolation, readOnly, this.deferrable, this.savepoint, this.timeout);
    }

    /**
     * A copy that is deferrable or not.
     * @param deferrable whether a serializable read-only transaction waits for a safe snapshot
     * @return the copy
     */
    public TransactionOptions withDeferrable(boolean deferrable) {
        return new TransactionOptions(this.isolation, this.readOnly, deferrable, this.savepoint, this.timeout);
    }

    /**
     * A copy that uses a savepoint inside an outer transaction, or joins it.
     * @param savepoint whether to use a savepoint
     * @return the copy
     */
    public TransactionOptions withSavepoint(boolean savepoint) {
        return new TransactionOptions(this.isolation, this.readOnly, this.deferrable, savepoint, this.timeout);
    }

    /**
     * A copy with a timeout.
     * @param timeout how long the transaction may take, or {@code null} for no limit
     * @return the copy
     */
    public TransactionOptions withTimeout(@Nullable Duration timeout) {
        return new TransactionOptions(this.isolation, this.readOnly, this.deferrable, this.savepoint, timeout);
    }

}
