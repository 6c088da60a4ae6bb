package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.topology.NodeUnavailableException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a PostgreSQL server that start-up could not reach, with its address and the driver's cause.
 */
class NodeUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<NodeUnavailableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, NodeUnavailableException cause) {
        String description = "nexs-postgres could not reach PostgreSQL at " + cause.getAddress()
                + " while starting:\n\n    " + cause.getMessage();
        String action = "Check that PostgreSQL runs and accepts connections at " + cause.getAddress()
                + " and that nexs.postgres.url (or nexs.postgres.host and nexs.postgres.port), username and password "
                + "are right. To start without the database and let the pool keep trying, set "
                + "nexs.postgres.pool.fail-fast=false.";
        return new FailureAnalysis(description, action, cause);
    }

}
