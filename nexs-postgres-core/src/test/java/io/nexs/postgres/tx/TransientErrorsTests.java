package io.nexs.postgres.tx;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeoutException;

import io.nexs.postgres.hook.OperationVetoedException;
import io.nexs.postgres.topology.FailoverInProgressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.TransactionSystemException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The table of transient failures on its own, without a database: which SQLSTATEs and exception types it lists,
 * how it walks cause chains, and how it is extended.
 */
class TransientErrorsTests {

    private final TransientErrors defaults = TransientErrors.defaults();

    @Test
    void defaultsListTheDocumentedSqlStatesAndExceptionTypes() {
        assertThat(this.defaults.sqlStates()).containsExactlyInAnyOrder("08", "40001", "40P01", "57P01", "57P02",
                "57P03", "53300");
        assertThat(this.defaults.exceptionTypes()).containsExactlyInAnyOrder(FailoverInProgressException.class,
                SQLTransientConnectionException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = { "08000", "08001", "08003", "08006", "08P01", "40001", "40P01", "57P01", "57P02", "57P03",
            "53300" })
    void transientSqlStatesMatchWholeOrThroughTheirClass(String sqlState) {
        assertThat(this.defaults.matches(sqlState)).isTrue();
        assertThat(this.defaults.isTransient(new SQLException("failed", sqlState))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "23505", "42601", "40002", "40003", "57014", "53200", "55P03", "25P03", "22023", "0A000",
            "XX000", "08", "0800", "080060", "" })
    void otherSqlStatesAndMalformedOnesDoNotMatch(String sqlState) {
        assertThat(this.defaults.matches(sqlState)).isFalse();
        assertThat(this.defaults.isTransient(new SQLException("failed", sqlState))).isFalse();
    }

    @Test
    void nothingIsTransientWithoutASqlStateOrListedType() {
        assertThat(this.defaults.matches(null)).isFalse();
        assertThat(this.defaults.isTransient(null)).isFalse();
        assertThat(this.defaults.isTransient(new SQLException("no state"))).isFalse();
        assertThat(this.defaults.isTransient(new IllegalStateException("boom"))).isFalse();
        assertThat(this.defaults.isTransient(new IOException("connection reset"))).isFalse();
    }

    @Test
    void listedExceptionTypesAndTheirSubclassesAreTransientWhateverTheirSqlState() {
        assertThat(this.defaults.isTransient(new FailoverInProgressException("failover", null))).isTrue();
        assertThat(this.defaults.isTransient(new SQLTransientConnectionException("pool timeout"))).isTrue();
        SQLTransientConnectionException subclass = new SQLTransientConnectionException("pool timeout", "XX000") {
        };
        assertThat(this.defaults.isTransient(subclass)).isTrue();
    }

    @Test
    void aTransientSqlStateIsFoundAnywhereInTheCauseChain() {
        SQLException serialization = new SQLException("could not serialize access", "40001");
        CannotAcquireLockException translated = new CannotAcquireLockException("update", serialization);
        TransactionSystemException outer = new TransactionSystemException("commit failed", translated);
        assertThat(this.defaults.isTransient(translated)).isTrue();
        assertThat(this.defaults.isTransient(outer)).isTrue();
        assertThat(this.defaults.isTransient(new CannotGetJdbcConnectionException("no connection",
                new SQLException("refused", "08001")))).isTrue();
        // the next exception of a SQLException (as in a batch) counts too
        SQLException batch = new SQLException("batch failed", "XX000");
        batch.setNextException(new SQLException("deadlock", "40P01"));
        assertThat(this.defaults.isTransient(batch)).isTrue();
        // a permanent error wrapping nothing transient stays permanent
        assertThat(this.defaults.isTransient(new DataIntegrityViolationException("duplicate",
                new SQLException("duplicate key", "23505")))).isFalse();
    }

    @Test
    void neverTransientTypesStopTheWalkBeforeATransientCause() {
        SQLException lost = new SQLException("I/O error", "08006");
        assertThat(this.defaults.isTransient(lost)).isTrue();
        assertThat(this.defaults.isTransient(new CommitOutcomeUnknownException("unknown", 42, lost))).isFalse();
        assertThat(this.defaults.isTransient(new TransactionSystemException("wrapped",
                new CommitOutcomeUnknownException("unknown", 42, lost)))).isFalse();
        OperationVetoedException vetoed = new OperationVetoedException("no writes today");
        vetoed.initCause(new FailoverInProgressException("failover", lost));
        assertThat(this.defaults.isTransient(vetoed)).isFalse();
        // even a never-transient failure of a type added to the table stays permanent
        assertThat(this.defaults.withExceptions(CommitOutcomeUnknownException.class)
            .isTransient(new CommitOutcomeUnknownException("unknown", -1, null))).isFalse();
    }

    @Test
    void aCauseChainThatLoopsEndsTheWalk() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalArgumentException second = new IllegalArgumentException("second", first);
        first.initCause(second);
        assertThat(this.defaults.isTransient(first)).isFalse();
    }

    @Test
    void withSqlStatesAddsCodesAndClassesToACopy() {
        TransientErrors extended = this.defaults.withSqlStates("55P03", "57");
        assertThat(extended.matches("55P03")).isTrue();
        assertThat(extended.matches("57014")).isTrue();
        assertThat(extended.matches("40001")).isTrue();
        assertThat(extended.sqlStates()).contains("55P03", "57", "08", "40001");
        // the defaults are unchanged
        assertThat(this.defaults.matches("55P03")).isFalse();
        assertThat(this.defaults.matches("57014")).isFalse();
        assertThat(this.defaults.sqlStates()).doesNotContain("55P03", "57");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "5", "55P0", "55P033", "55p03", "40 01", "0A0-0", "080" })
    void withSqlStatesRejectsWhatIsNeitherACodeNorAClass(String sqlState) {
        assertThatIllegalArgumentException().isThrownBy(() -> this.defaults.withSqlStates(sqlState))
            .withMessageContaining("is not a SQLSTATE");
        assertThatIllegalArgumentException().isThrownBy(() -> TransientErrors.requireSqlState(sqlState));
    }

    @Test
    void withSqlStatesRejectsNullAndKeepsNothingOfAFailedCall() {
        assertThatIllegalArgumentException().isThrownBy(() -> TransientErrors.requireSqlState(null));
        assertThatIllegalArgumentException().isThrownBy(() -> this.defaults.withSqlStates("55P03", "bad"));
        assertThat(this.defaults.matches("55P03")).isFalse();
        assertThat(TransientErrors.requireSqlState("0A000")).isEqualTo("0A000");
    }

    @Test
    void withExceptionsAddsTypesToACopy() {
        TransientErrors extended = this.defaults.withExceptions(TimeoutException.class);
        assertThat(extended.isTransient(new IllegalStateException("wrapped", new TimeoutException()))).isTrue();
        assertThat(this.defaults.isTransient(new TimeoutException())).isFalse();
        assertThat(extended.exceptionTypes()).contains(TimeoutException.class, FailoverInProgressException.class);
    }

    @Test
    void connectionLossIsClass08OrAServerShutdownOrAFailover() {
        assertThat(TransientErrors.isConnectionLoss(new SQLException("reset", "08006"))).isTrue();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("refused", "08001"))).isTrue();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("terminated", "57P01"))).isTrue();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("crash", "57P02"))).isTrue();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("starting", "57P03"))).isTrue();
        // every 57P code ends the session, these two included
        assertThat(TransientErrors.isConnectionLoss(new SQLException("database dropped", "57P04"))).isTrue();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("idle session timeout", "57P05"))).isTrue();
        // class 57 outside 57P leaves the session open
        assertThat(TransientErrors.isConnectionLoss(new SQLException("canceled", "57014"))).isFalse();
        assertThat(TransientErrors.isConnectionLoss(new TransactionSystemException("commit failed",
                new SQLException("reset", "08006")))).isTrue();
        assertThat(TransientErrors.isConnectionLoss(new FailoverInProgressException("failover", null))).isTrue();
        // transient, but the server answered: nothing was lost
        assertThat(TransientErrors.isConnectionLoss(new SQLException("serialization", "40001"))).isFalse();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("deadlock", "40P01"))).isFalse();
        assertThat(TransientErrors.isConnectionLoss(new SQLException("too many", "53300"))).isFalse();
        assertThat(TransientErrors.isConnectionLoss(new SQLTransientConnectionException("pool timeout")))
            .isFalse();
        assertThat(TransientErrors.isConnectionLoss(null)).isFalse();
    }

}
