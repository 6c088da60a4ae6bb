package io.nexs.postgres.error;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.NonTransientDataAccessException;

/**
 * Work that may have written lost its connection after it was sent, and nobody can tell whether the server
 * applied it: an auto-commit {@code exec}, {@code batch}, {@code pipeline} or {@code notify} whose answer never
 * came, or a {@code COMMIT} whose outcome could not be settled ({@code CommitOutcomeUnknownException}, a
 * subclass).
 *
 * <p>Not transient on purpose: running the same work again could apply it twice, so a retry that keys on
 * {@link org.springframework.dao.TransientDataAccessException} (Spring's {@code @Retryable}, Resilience4j, a
 * listener's redelivery) must not see it as retryable. Find out first, for example by looking up the row the
 * work writes, or make the work idempotent and retry it knowingly.
 * <pre>{@code
 * try {
 *     postgres.exec("insert into payments (id, amount) values (?, ?)", id, amount);
 * }
 * catch (OutcomeUnknownException ex) {
 *     boolean applied = postgres.queryCount("select count(*) from payments where id = ?", id) > 0;
 * }
 * }</pre>
 */
public class OutcomeUnknownException extends NonTransientDataAccessException {

    private static final long serialVersionUID = 1L;

    private final long transactionId;

    /**
     * Creates the exception when no transaction id was recorded.
     * @param message what was lost and why its outcome is not known, without data
     * @param cause the failure
     */
    public OutcomeUnknownException(String message, @Nullable Throwable cause) {
        this(message, -1, cause);
    }

    /**
     * Creates the exception.
     * @param message what was lost and why its outcome is not known, without data
     * @param transactionId the id of the transaction the work ran in ({@code pg_current_xact_id()}), or {@code -1}
     * when none was recorded
     * @param cause the failure
     */
    public OutcomeUnknownException(String message, long transactionId, @Nullable Throwable cause) {
        super(message, cause);
        this.transactionId = transactionId;
    }

    /**
     * The id of the transaction the work ran in, to look up with {@code pg_xact_status} later.
     * @return the 64-bit id, or {@code -1} when none was recorded
     */
    public long getTransactionId() {
        return this.transactionId;
    }

}
