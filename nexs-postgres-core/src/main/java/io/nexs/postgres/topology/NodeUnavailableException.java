package io.nexs.postgres.topology;

import io.nexs.postgres.error.PostgresException;
import io.nexs.postgres.pool.NodeAddress;

/**
 * A PostgreSQL node could not be reached or did not answer as a PostgreSQL server should.
 */
public class NodeUnavailableException extends PostgresException {

    private final NodeAddress address;

    /**
     * Creates an exception for a node that could not be reached.
     * @param address the node's address
     * @param message what was being done, without secrets
     * @param cause the driver's failure
     */
    public NodeUnavailableException(NodeAddress address, String message, Throwable cause) {
        super(message, cause);
        this.address = address;
    }

    /**
     * The address of the node that could not be reached.
     * @return the address
     */
    public NodeAddress getAddress() {
        return this.address;
    }

}
