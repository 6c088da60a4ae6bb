package io.nexs.postgres;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A batch or a pipeline outside a transaction is all-or-nothing, however many statements it holds. PgJDBC sends a
 * Sync, which ends the implicit transaction of auto-commit, each time it estimates that the answers it has not read
 * yet pass 64 kB (some 250 statements): without a transaction of its own, a long batch whose row 1,500 fails would
 * leave the first thousand or so rows committed.
 */
@ExtendWith(PostgresExtension.class)
class AtomicBatchTests {

    private static final int ROWS = 2_000;

    /** The row that fails, far past the first Syncs the driver sends on its own. */
    private static final int FAILING = 1_500;

    private static final List<AutoCloseable> resources = new ArrayList<>();

    private static DefaultPostgresProvider plain;

    private static DefaultPostgresProvider settling;

    @BeforeAll
    static void start(PostgresNode node) {
        plain = provider(node, Retrier.disabled());
        settling = provider(node, new Retrier(RetrySettings.defaults().withSettleAutoCommitWrites(true),
                TransientErrors.defaults()));
        plain.exec("create table atomic_rows (id int primary key)");
    }

    private static DefaultPostgresProvider provider(PostgresNode node, Retrier retrier) {
        HookManager hooks = new HookManager(Duration.ofSeconds(5), false);
        DefaultPostgresProvider provider = new DefaultPostgresProvider(
                Topologies.start(List.of(Topologies.definition(node)), Topologies.fast()),
                new RowMappers(UnmappedColumns.IGNORE, null), 100, hooks, retrier);
        resources.add(provider);
        resources.add(hooks);
        return provider;
    }

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
    }

    @BeforeEach
    void empty() {
        plain.exec("truncate atomic_rows");
    }

    /** 2,000 parameter sets whose set {@link #FAILING} repeats the first key. */
    private static List<Object[]> setsWithALateDuplicate() {
        List<Object[]> sets = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            sets.add(new Object[] { (i == FAILING) ? 0 : i });
        }
        return sets;
    }

    private static long rows() {
        return plain.queryCount("select count(*) from atomic_rows");
    }

    @Test
    void aLongBatchWithALateFailureWritesNothing() {
        assertThatExceptionOfType(DuplicateKeyException.class)
            .isThrownBy(() -> plain.batch("insert into atomic_rows values (?)", setsWithALateDuplicate()));
        assertThat(rows()).as("nothing half-written").isZero();
        assertThat(plain.batch("insert into atomic_rows values (?)", List.of(new Object[] { 1 }))).containsExactly(1);
        assertThat(rows()).as("the connection is back in auto-commit").isOne();
    }

    @Test
    void aLongSettledBatchWithALateFailureWritesNothing() {
        assertThatExceptionOfType(DuplicateKeyException.class)
            .isThrownBy(() -> settling.batch("insert into atomic_rows values (?)", setsWithALateDuplicate()));
        assertThat(rows()).isZero();
    }

    @Test
    void aLongBatchThatSucceedsWritesEverything() {
        List<Object[]> sets = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            sets.add(new Object[] { i });
        }
        assertThat(plain.batch("insert into atomic_rows values (?)", sets)).hasSize(ROWS).containsOnly(1);
        assertThat(rows()).isEqualTo(ROWS);
    }

    @Test
    void aLongPipelineWithALateFailureWritesNothing() {
        Pipeline pipeline = plain.pipeline();
        for (int i = 0; i < ROWS; i++) {
            // a query among the inserts: the driver may sync after one whose result size it cannot bound
            if (i % 100 == 50) {
                pipeline.add("select id::text from atomic_rows where id = ?", i);
            }
            pipeline.add("insert into atomic_rows values (?)", (i == FAILING) ? 0 : i);
        }
        assertThatExceptionOfType(DataIntegrityViolationException.class).isThrownBy(pipeline::execute);
        assertThat(rows()).as("nothing half-written").isZero();
    }

    /**
     * Spring's {@code JdbcTemplate} on the routed data source runs the batch as the driver does: under auto-commit,
     * the rows before the driver's last Sync stay committed. The README tells users to wrap such a batch in a
     * transaction, or to use the provider's.
     */
    @Test
    void aPlainJdbcTemplateBatchOutsideATransactionIsNotAllOrNothing() {
        JdbcTemplate jdbc = new JdbcTemplate(plain.dataSource());
        assertThatExceptionOfType(DuplicateKeyException.class)
            .isThrownBy(() -> jdbc.batchUpdate("insert into atomic_rows values (?)", setsWithALateDuplicate()));
        assertThat(rows()).as("the driver's behaviour, which the README describes").isPositive()
            .isLessThan(FAILING);
    }

}
