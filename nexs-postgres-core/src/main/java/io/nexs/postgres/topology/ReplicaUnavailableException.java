package io.nexs.postgres.topology;

import org.springframework.dao.TransientDataAccessResourceException;

/**
 * A read with {@link ReadPreference#SECONDARY} found no healthy replica within the lag limit. Transient: a
 * replica may come back or catch up.
 */
public class ReplicaUnavailableException extends TransientDataAccessResourceException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     * @param message which replicas exist and why none qualifies
     */
    public ReplicaUnavailableException(String message) {
        super(message);
    }

}
