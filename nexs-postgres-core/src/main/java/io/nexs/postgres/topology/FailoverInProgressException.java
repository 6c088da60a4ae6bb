package io.nexs.postgres.topology;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.TransientDataAccessResourceException;

/**
 * No primary can take the work right now: the primary failed and no node has reported itself primary within
 * {@code nexs.postgres.failover.write-wait-timeout}, the primary's connections were closed because it stopped
 * answering, or two nodes claim to be primary. Transient: the same work is expected to succeed once the cluster
 * manager has promoted a node, so it may be retried. It is thrown only where the work provably took no effect:
 * a write outside a transaction that may have been applied before its connection was lost is reported as
 * {@link io.nexs.postgres.error.OutcomeUnknownException} instead, with this exception as its cause.
 */
public class FailoverInProgressException extends TransientDataAccessResourceException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message what failed and why, without data or secrets
     * @param cause the driver's failure, if any
     */
    public FailoverInProgressException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

}
