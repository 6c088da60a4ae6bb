package io.nexs.postgres.tx;

import io.nexs.postgres.error.OutcomeUnknownException;
import org.jspecify.annotations.Nullable;

/**
 * The connection was lost while {@code COMMIT} was in flight, and nexs-postgres could not find out whether the
 * transaction committed: the primary that could tell did not answer in time, or writes moved to another node
 * in between. The transaction may have been applied or not; it is never retried, because running it again could
 * apply it twice. The caller must check, for example by looking up the row the transaction wrote. One case of
 * {@link OutcomeUnknownException}, which an application catches to handle every write of unknown outcome alike.
 *
 * <p>It also reports a commit known only on the primary where {@code synchronous_commit} promised it on synchronous
 * standbys too (the commit was lost, or returned with a warning, and the standbys were not seen to have it): the
 * transaction may be lost with the primary.
 */
public class CommitOutcomeUnknownException extends OutcomeUnknownException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what happened and why the outcome is not known
     * @param transactionId the transaction's id ({@code pg_current_xact_id()}), or {@code -1} when none was
     * recorded
     * @param cause the failure of the commit
     */
    public CommitOutcomeUnknownException(String message, long transactionId, @Nullable Throwable cause) {
        super(message, transactionId, cause);
    }

}
