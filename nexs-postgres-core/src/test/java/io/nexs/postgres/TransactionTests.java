package io.nexs.postgres;

import java.time.Duration;
import java.util.Optional;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.annotation.Isolation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

@ExtendWith(PostgresExtension.class)
class TransactionTests {

    private static HikariDataSource dataSource;

    private static PostgresTemplate postgres;

    @BeforeAll
    static void start(PostgresNode node) {
        dataSource = TestDataSources.pooled(node, 4);
        postgres = new PostgresTemplate(dataSource);
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    @BeforeEach
    void createTable() {
        postgres.exec("drop table if exists accounts");
        postgres.exec("create table accounts (id int primary key, balance int not null check (balance >= 0))");
        postgres.exec("insert into accounts values (1, 100), (2, 0)");
    }

    private static long balance(int id) {
        return postgres.queryCount("select balance from accounts where id = ?", id);
    }

    @Test
    void commitsWhenTheCallbackReturns() {
        String result = postgres.inTransaction((status) -> {
            postgres.exec("update accounts set balance = balance - 30 where id = 1");
            postgres.exec("update accounts set balance = balance + 30 where id = 2");
            assertThat(status.isNewTransaction()).isTrue();
            return "moved";
        });
        assertThat(result).isEqualTo("moved");
        assertThat(balance(1)).isEqualTo(70);
        assertThat(balance(2)).isEqualTo(30);
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
    }

    @Test
    void rollsBackWhenTheCallbackThrowsOrAsksForIt() {
        assertThatIllegalStateException().isThrownBy(() -> postgres.inTransaction((status) -> {
            postgres.exec("update accounts set balance = 0 where id = 1");
            throw new IllegalStateException("changed my mind");
        }));
        assertThat(balance(1)).isEqualTo(100);
        postgres.inTransaction((status) -> {
            postgres.exec("update accounts set balance = 0 where id = 1");
            status.setRollbackOnly();
            return null;
        });
        assertThat(balance(1)).isEqualTo(100);
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
    }

    @Test
    void everyCallInTheCallbackUsesTheSameConnectionAsJdbcTemplate() {
        JdbcTemplate jdbcTemplate = new JdbcTemplate(dataSource);
        postgres.inTransaction((status) -> {
            long pid = postgres.queryCount("select pg_backend_pid()");
            assertThat(jdbcTemplate.queryForObject("select pg_backend_pid()", Long.class)).isEqualTo(pid);
            assertThat(postgres.queryCount("select pg_backend_pid()")).isEqualTo(pid);
            jdbcTemplate.update("update accounts set balance = 1 where id = 1");
            assertThat(postgres.queryCount("select balance from accounts where id = 1")).isOne();
            status.setRollbackOnly();
            return null;
        });
        assertThat(balance(1)).isEqualTo(100);
    }

    @Test
    void aNestedCallJoinsTheOuterTransaction() {
        assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> postgres.inTransaction((outer) -> {
            postgres.exec("update accounts set balance = balance - 50 where id = 1");
            return postgres.inTransaction((inner) -> {
                assertThat(inner.isNewTransaction()).isFalse();
                // Violates the check constraint: the whole transaction is lost.
                return postgres.exec("update accounts set balance = balance - 500 where id = 2");
            });
        }));
        assertThat(balance(1)).isEqualTo(100);
    }

    @Test
    void aSavepointUndoesOnlyTheInnerWork() {
        postgres.inTransaction((outer) -> {
            postgres.exec("update accounts set balance = balance - 50 where id = 1");
            assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> postgres.inTransaction(
                    TransactionOptions.defaults().withSavepoint(true), (inner) -> {
                        assertThat(inner.hasSavepoint()).isTrue();
                        postgres.exec("update accounts set balance = balance + 50 where id = 2");
                        return postgres.exec("update accounts set balance = -1 where id = 2");
                    }));
            // The outer transaction is still usable after the savepoint was rolled back.
            return postgres.exec("update accounts set balance = balance + 1 where id = 2");
        });
        assertThat(balance(1)).isEqualTo(50);
        assertThat(balance(2)).isEqualTo(1);
    }

    @Test
    void isolationReadOnlyAndDeferrableReachTheServer() {
        TransactionOptions options = TransactionOptions.defaults()
            .withIsolation(Isolation.SERIALIZABLE)
            .withReadOnly(true)
            .withDeferrable(true);
        String settings = postgres.inTransaction(options, (status) -> postgres
            .queryOne(String.class, "select current_setting('transaction_isolation') || ','"
                    + " || current_setting('transaction_read_only') || ','"
                    + " || current_setting('transaction_deferrable')")
            .orElseThrow());
        assertThat(settings).isEqualTo("serializable,on,on");
        assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> postgres.inTransaction(
                TransactionOptions.defaults().withReadOnly(true),
                (status) -> postgres.exec("update accounts set balance = 0 where id = 1")))
            .satisfies((ex) -> assertThat(PostgresTemplateTests.fullText(ex)).contains("25006"));
        // The connection went back to the pool with the defaults restored.
        String defaults = postgres.inTransaction((status) -> postgres
            .queryOne(String.class, "select current_setting('transaction_isolation') || ','"
                    + " || current_setting('transaction_read_only')")
            .orElseThrow());
        assertThat(defaults).isEqualTo("read committed,off");
        Optional<String> level = postgres.inTransaction(
                TransactionOptions.defaults().withIsolation(Isolation.REPEATABLE_READ),
                (status) -> postgres.queryOne(String.class, "select current_setting('transaction_isolation')"));
        assertThat(level).contains("repeatable read");
    }

    @Test
    void aTimeoutEndsALongTransaction() {
        TransactionOptions options = TransactionOptions.defaults().withTimeout(Duration.ofSeconds(1));
        long start = System.nanoTime();
        assertThatExceptionOfType(DataAccessException.class)
            .isThrownBy(() -> postgres.inTransaction(options,
                    (status) -> postgres.queryCount("select count(*) from pg_sleep(5)")))
            .satisfies((ex) -> assertThat(PostgresTemplateTests.fullText(ex)).contains("57014"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
    }

    @Test
    void optionsThatCannotHoldWhenJoiningFail() {
        assertThatExceptionOfType(IllegalTransactionStateException.class)
            .isThrownBy(() -> postgres.inTransaction((outer) -> postgres.inTransaction(
                    TransactionOptions.defaults().withIsolation(Isolation.SERIALIZABLE),
                    (inner) -> postgres.exec("update accounts set balance = 0 where id = 1"))));
        assertThat(balance(1)).isEqualTo(100);
    }

    @Test
    void invalidOptionsAreRefused() {
        assertThatNullPointerException().isThrownBy(() -> TransactionOptions.defaults().withIsolation(null))
            .withMessageContaining("Isolation.DEFAULT");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> TransactionOptions.defaults().withTimeout(Duration.ZERO))
            .withMessageContaining("positive");
    }

}
