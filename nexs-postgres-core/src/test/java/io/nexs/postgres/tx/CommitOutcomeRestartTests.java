package io.nexs.postgres.tx;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.tx.CommitOutcomeCheck.Status;
import io.nexs.postgres.tx.CommitOutcomeCheck.WrittenTransaction;
import org.junit.jupiter.api.Test;

import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server that crashed hands out again the transaction ids whose WAL it lost, on the same address and timeline:
 * an id recorded before a restart may name another transaction after it, so {@code committed} then proves
 * nothing. The ids are made to collide here by rolling the first transaction back, which is what a crash does to
 * a transaction whose WAL never reached the disk.
 */
class CommitOutcomeRestartTests {

    @Test
    void anIdRecordedBeforeTheServerRestartedIsNotTakenAsCommittedAfterIt() throws SQLException {
        try (PostgresNode node = PostgresNode.start(); HikariDataSource dataSource = pool(node, 2)) {
            try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
                statement.execute("create table restarted (id int)");
            }
            WrittenTransaction before = written(node, false);
            node.restart();
            WrittenTransaction after = written(node, true);
            assertThat(after.server()).isNotEqualTo(before.server());

            CommitOutcomeCheck check = new CommitOutcomeCheck(dataSource, Duration.ofSeconds(5));
            assertThat(check.check(after).status()).isEqualTo(Status.COMMITTED);
            // the same id, as if recorded by a transaction the crash took away
            CommitOutcomeCheck.Outcome outcome = check.check(new WrittenTransaction(after.id(), before.server()));
            assertThat(outcome.status()).isEqualTo(Status.UNKNOWN);
            assertThat(outcome.reason()).contains("writes moved to");
        }
    }

    /** Inserts a row in a transaction, records it, then commits or rolls it back. */
    private static WrittenTransaction written(PostgresNode node, boolean commit) throws SQLException {
        try (Connection connection = node.connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("insert into restarted values (1)");
            }
            WrittenTransaction transaction = CommitOutcomeCheck.record(connection);
            if (commit) {
                connection.commit();
            }
            else {
                connection.rollback();
            }
            assertThat(transaction).isNotNull();
            return transaction;
        }
    }

}
