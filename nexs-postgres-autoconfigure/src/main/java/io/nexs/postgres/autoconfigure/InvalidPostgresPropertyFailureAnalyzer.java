package io.nexs.postgres.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link InvalidPostgresPropertyException} into a start-up report that names the property, shows the
 * (safe) value and tells what to change.
 */
class InvalidPostgresPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidPostgresPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidPostgresPropertyException cause) {
        StringBuilder description = new StringBuilder("Invalid nexs-postgres configuration:\n\n");
        description.append("    Property: ").append(cause.getProperty()).append('\n');
        if (cause.getValue() != null) {
            description.append("    Value:    \"").append(cause.getValue()).append("\"\n");
        }
        description.append("    Reason:   ").append(cause.getReason()).append('\n');
        return new FailureAnalysis(description.toString(), cause.getAction(), cause);
    }

}
