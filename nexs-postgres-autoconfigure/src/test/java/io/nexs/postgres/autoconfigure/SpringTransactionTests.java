package io.nexs.postgres.autoconfigure;

import java.util.List;
import java.util.stream.Stream;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.TransactionOptions;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The provider inside Spring's {@code @Transactional}: it must use the transaction's connection, roll back with
 * it, and join it from {@code inTransaction}.
 */
@ExtendWith(PostgresExtension.class)
class SpringTransactionTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                JdbcTemplateAutoConfiguration.class))
        .withUserConfiguration(ServiceConfiguration.class)
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=3");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void theProviderUsesTheConnectionOfTheSpringTransaction() {
        this.contextRunner.run((context) -> {
            Ledger ledger = context.getBean(Ledger.class);
            ledger.reset();
            List<Long> pids = ledger.backendPids();
            assertThat(pids).hasSize(3).containsOnly(pids.get(0));
        });
    }

    @Test
    void workOfTheProviderRollsBackWithTheSpringTransaction() {
        this.contextRunner.run((context) -> {
            Ledger ledger = context.getBean(Ledger.class);
            ledger.reset();
            assertThatIllegalStateException().isThrownBy(() -> ledger.writeThenFail(5));
            assertThat(context.getBean(PostgresProvider.class).queryCount("select count(*) from ledger")).isZero();
            ledger.write(5);
            assertThat(context.getBean(PostgresProvider.class).queryCount("select count(*) from ledger")).isOne();
        });
    }

    @Test
    void inTransactionJoinsTheSpringTransactionAndAReadOnlyOneRefusesWrites() {
        this.contextRunner.run((context) -> {
            Ledger ledger = context.getBean(Ledger.class);
            ledger.reset();
            assertThat(ledger.joins()).isFalse();
            assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> ledger.writeReadOnly(1))
                .satisfies((ex) -> assertThat(ex.getMostSpecificCause()).hasMessageContaining("read-only"));
            assertThat(ledger.streamInTransaction()).isEqualTo(3);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class ServiceConfiguration {

        @Bean
        Ledger ledger(PostgresProvider postgres, JdbcTemplate jdbcTemplate) {
            return new Ledger(postgres, jdbcTemplate);
        }

    }

    static class Ledger {

        private final PostgresProvider postgres;

        private final JdbcTemplate jdbcTemplate;

        Ledger(PostgresProvider postgres, JdbcTemplate jdbcTemplate) {
            this.postgres = postgres;
            this.jdbcTemplate = jdbcTemplate;
        }

        void reset() {
            this.postgres.exec("drop table if exists ledger");
            this.postgres.exec("create table ledger (amount int)");
        }

        @Transactional
        public List<Long> backendPids() {
            long viaProvider = this.postgres.queryCount("select pg_backend_pid()");
            Long viaTemplate = this.jdbcTemplate.queryForObject("select pg_backend_pid()", Long.class);
            long viaTransaction = this.postgres.inTransaction((status) -> this.postgres
                .queryCount("select pg_backend_pid()"));
            return List.of(viaProvider, viaTemplate, viaTransaction);
        }

        @Transactional
        public void write(int amount) {
            this.postgres.exec("insert into ledger values (?)", amount);
        }

        @Transactional
        public void writeThenFail(int amount) {
            this.postgres.exec("insert into ledger values (?)", amount);
            throw new IllegalStateException("after the insert");
        }

        @Transactional
        public boolean joins() {
            return this.postgres.inTransaction(TransactionOptions.defaults(), (status) -> status.isNewTransaction());
        }

        @Transactional(readOnly = true)
        public void writeReadOnly(int amount) {
            this.postgres.exec("insert into ledger values (?)", amount);
        }

        @Transactional(readOnly = true)
        public long streamInTransaction() {
            long pid = this.postgres.queryCount("select pg_backend_pid()");
            try (Stream<Long> pids = this.postgres.stream(Long.class,
                    "select pg_backend_pid() from generate_series(1, 3)")) {
                return pids.filter((each) -> each == pid).count();
            }
        }

    }

}
