package io.nexs.postgres.observe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.Retrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The observations of database operations, checked in a {@link TestObservationRegistry} against a real node: the
 * name shared with the duration timer, OpenTelemetry's database attributes for the span, few-valued metric tags,
 * transactions as parents of their statements, failures, and SQL text only when asked for, without literals.
 */
@ExtendWith(PostgresExtension.class)
class ObservationTests {

    private final TestObservationRegistry registry = TestObservationRegistry.create();

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : this.resources) {
            resource.close();
        }
    }

    private DefaultPostgresProvider provider(PostgresNode node, String database, boolean queryTag, boolean includeSql) {
        AtomicReference<DefaultPostgresProvider> created = new AtomicReference<>();
        DefaultPostgresObservationConvention convention = new DefaultPostgresObservationConvention(database, queryTag,
                includeSql, (name) -> created.get().topology().node(name).address());
        HookManager hooks = new HookManager(Duration.ofSeconds(5), false);
        hooks.register(new ObservingHook(this.registry, null, convention));
        DefaultPostgresProvider provider = new DefaultPostgresProvider(
                Topologies.start(List.of(Topologies.definition(node)), Topologies.fast()),
                new RowMappers(UnmappedColumns.IGNORE, null), 100, hooks, Retrier.disabled());
        created.set(provider);
        this.resources.add(provider);
        this.resources.add(hooks);
        return provider;
    }

    @Test
    void aQueryIsAnObservationWithTheDatabaseAttributesOfASpan(PostgresNode node) {
        DefaultPostgresProvider provider = provider(node, "postgres", false, false);
        String name = provider.primary().name();
        provider.queryAll("select 'secret' as word where 1 = ?", (rs, n) -> rs.getString(1), 1);

        assertThat(this.registry).hasSingleObservationThat()
            .hasNameEqualTo("db.query.duration")
            .hasContextualNameEqualTo("SELECT postgres")
            .hasBeenStarted()
            .hasBeenStopped()
            .hasLowCardinalityKeyValue("operation", "query")
            .hasLowCardinalityKeyValue("node", name)
            .hasLowCardinalityKeyValue("role", "primary")
            .hasLowCardinalityKeyValue("outcome", "success")
            .doesNotHaveLowCardinalityKeyValueWithKey("query")
            .hasHighCardinalityKeyValue("db.system.name", "postgresql")
            .hasHighCardinalityKeyValue("db.operation.name", "SELECT")
            .hasHighCardinalityKeyValue("db.namespace", "postgres")
            .hasHighCardinalityKeyValue("server.address", "127.0.0.1")
            .hasHighCardinalityKeyValue("server.port", String.valueOf(node.port()))
            .doesNotHaveHighCardinalityKeyValueWithKey("db.query.text")
            .doesNotHaveHighCardinalityKeyValueWithKey("db.response.status_code");
    }

    @Test
    void aTransactionIsTheParentOfItsStatements(PostgresNode node) {
        DefaultPostgresProvider provider = provider(node, null, false, false);
        provider.inTransaction((status) -> provider.exec("create temporary table observed (id int)"));

        assertThat(this.registry).hasNumberOfObservationsEqualTo(2).hasHandledContextsThatSatisfy((contexts) -> {
            Observation.Context transaction = contexts.stream()
                .filter((context) -> "TRANSACTION".equals(context.getContextualName()))
                .findFirst()
                .orElseThrow();
            Observation.Context statement = contexts.stream()
                .filter((context) -> "CREATE".equals(context.getContextualName()))
                .findFirst()
                .orElseThrow();
            assertThat(statement.getParentObservation()).isNotNull();
            assertThat(statement.getParentObservation().getContextView()).isSameAs(transaction);
            assertThat(transaction.getLowCardinalityKeyValue("operation").getValue()).isEqualTo("transaction");
            assertThat(transaction.getLowCardinalityKeyValue("node").getValue())
                .as("the node a transaction ran on is known when it ends")
                .isEqualTo(provider.primary().name());
            assertThat(statement.getLowCardinalityKeyValue("operation").getValue()).isEqualTo("exec");
        });
        assertThat(this.registry.getCurrentObservation()).as("the transaction's scope is closed").isNull();
    }

    @Test
    void aFailureIsRecordedWithItsSqlState(PostgresNode node) {
        DefaultPostgresProvider provider = provider(node, null, false, false);
        assertThatExceptionOfType(BadSqlGrammarException.class)
            .isThrownBy(() -> provider.exec("update no_such_table set a = 1"));

        assertThat(this.registry).hasSingleObservationThat()
            .hasContextualNameEqualTo("UPDATE")
            .hasLowCardinalityKeyValue("outcome", "error")
            .hasHighCardinalityKeyValue("db.response.status_code", "42P01")
            .assertThatError()
            .isInstanceOf(BadSqlGrammarException.class);
    }

    @Test
    void namedQueriesAndSqlTextWithoutLiteralsWhenAskedFor(PostgresNode node) {
        DefaultPostgresProvider provider = provider(node, null, true, true);
        provider.queryCount("/* name: orders.count */ select count(*) from pg_class where relname <> 'secret'");

        assertThat(this.registry).hasObservationWithNameEqualTo("db.query.duration")
            .that()
            .hasContextualNameEqualTo("orders.count")
            .hasLowCardinalityKeyValue("query", "orders.count")
            .hasHighCardinalityKeyValue("db.query.text", "select count(*) from pg_class where relname <> ?");
    }

    @Test
    void aTransactionWhoseCommitListenersNeverRanLeavesNoScopeBehind(PostgresNode node) {
        DefaultPostgresProvider provider = provider(node, null, false, false);
        // Spring runs no transaction listener when a beforeCommit callback throws a transaction exception
        assertThatExceptionOfType(TransactionSystemException.class).isThrownBy(() -> provider.inTransaction((status) -> {
            provider.exec("create temporary table abandoned (id int)");
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void beforeCommit(boolean readOnly) {
                    throw new TransactionSystemException("flush failed");
                }
            });
            return null;
        }));
        // the next transaction on the thread ends the abandoned one first
        provider.inTransaction((status) -> provider.queryCount("select 1"));
        assertThat(this.registry.getCurrentObservation()).as("no transaction's scope is left open").isNull();
        assertThat(this.registry).hasHandledContextsThatSatisfy((contexts) -> assertThat(contexts)
            .filteredOn((context) -> "TRANSACTION".equals(context.getContextualName()))
            .hasSize(2));
    }

}
