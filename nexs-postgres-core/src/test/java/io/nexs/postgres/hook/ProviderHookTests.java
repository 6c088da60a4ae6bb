package io.nexs.postgres.hook;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.NodeStateChangedEvent;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import io.nexs.postgres.tx.TransientErrors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hooks of a {@link DefaultPostgresProvider} over real nodes: the node and role of every context, connection
 * points driven by HikariCP's tracker (also for Spring's {@code JdbcTemplate} on the provider's data source), the
 * node of a transaction, and topology events.
 */
@ExtendWith(PostgresExtension.class)
class ProviderHookTests {

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : this.resources) {
            resource.close();
        }
    }

    private DefaultPostgresProvider provider(ClusterTopology topology, PostgresHook... hooks) {
        return provider(topology, Retrier.disabled(), hooks);
    }

    private DefaultPostgresProvider provider(ClusterTopology topology, Retrier retrier, PostgresHook... hooks) {
        HookManager manager = new HookManager(Duration.ofSeconds(5), false);
        for (PostgresHook hook : hooks) {
            manager.register(hook);
        }
        DefaultPostgresProvider provider = new DefaultPostgresProvider(topology,
                new RowMappers(UnmappedColumns.IGNORE, null), 100, manager, retrier);
        this.resources.add(provider);
        this.resources.add(manager);
        return provider;
    }

    private DefaultPostgresProvider provider(PostgresNode node, PostgresHook... hooks) {
        return provider(Topologies.start(List.of(Topologies.definition(node)), Topologies.fast()), hooks);
    }

    @Test
    void aTransactionThatRunsNothingBorrowsNoConnectionEvenWithTheCommitCheckOn(PostgresNode node) {
        RecordingHook hook = new RecordingHook("hook");
        Retrier retrier = new Retrier(RetrySettings.defaults(), TransientErrors.defaults());
        assertThat(retrier.settings().verifyCommit()).isTrue();
        DefaultPostgresProvider provider = provider(
                Topologies.start(List.of(Topologies.definition(node)), Topologies.fast()), retrier, hook);
        String nothing = provider.inTransaction((status) -> "nothing");
        assertThat(nothing).isEqualTo("nothing");
        assertThat(hook.points()).doesNotContain("onConnectionAcquired");
        int created = provider.inTransaction((status) -> provider.exec("create temporary table t (id int)"));
        assertThat(created).isZero();
        assertThat(hook.points()).as("the hook sees a transaction that ran something").contains("onConnectionAcquired");
    }

    @Test
    void everyCallsContextNamesTheNodeAndItsRole(PostgresNode node) {
        RecordingHook hook = new RecordingHook("hook");
        DefaultPostgresProvider provider = provider(node, hook);
        provider.exec("drop table if exists provider_hooked");
        provider.exec("create table provider_hooked (id int)");
        provider.batch("insert into provider_hooked values (?)", List.of(new Object[] { 1 }, new Object[] { 2 }));
        provider.queryAll("select id from provider_hooked", (rs, n) -> rs.getInt(1));
        provider.withReadPreference(ReadPreference.PRIMARY).queryCount("select count(*) from provider_hooked");
        try (Stream<Integer> ids = provider.stream("select id from provider_hooked", (rs, n) -> rs.getInt(1))) {
            assertThat(ids.count()).isEqualTo(2);
        }
        assertThat(statementPoints(hook)).containsExactly("beforeExec", "afterExec", "beforeExec", "afterExec",
                "beforeBatch", "afterBatch", "beforeQuery", "afterQuery", "beforeQuery", "afterQuery", "beforeQuery",
                "afterQuery");
        assertThat(hook.calls()).as("statements and their borrows").hasSize(24).allSatisfy((call) -> {
            assertThat(call.context().node()).as(call.point()).isEqualTo(node.name());
            assertThat(call.context().role()).as(call.point()).isEqualTo(NodeRole.PRIMARY);
        });
    }

    @Test
    void connectionPointsFireForEveryBorrowWithTheNodeAlsoForJdbcTemplate(PostgresNode node) {
        List<Call> journal = new CopyOnWriteArrayList<>();
        ConnectionRecorder connections = new ConnectionRecorder(journal);
        PostgresHook statements = new PostgresHook() {
            @Override
            public void beforeExec(HookContext context) {
                journal.add(new Call("beforeExec", context, Thread.currentThread()));
            }

            @Override
            public void afterExec(HookContext context) {
                journal.add(new Call("afterExec", context, Thread.currentThread()));
            }
        };
        DefaultPostgresProvider provider = provider(node, connections, statements);

        provider.exec("do $$ begin perform pg_sleep(0.05); end $$");
        assertThat(mine(journal)).extracting(Call::point)
            .containsExactly("onConnectionAcquired", "beforeExec", "afterExec", "onConnectionReleased");
        Call acquired = mine(journal).get(0);
        Call released = mine(journal).get(3);
        for (Call call : List.of(acquired, released)) {
            assertThat(call.context().operation()).isEqualTo(Operation.CONNECTION);
            assertThat(call.context().name()).isEqualTo("connection");
            assertThat(call.context().node()).isEqualTo(node.name());
            assertThat(call.context().role()).isEqualTo(NodeRole.PRIMARY);
            assertThat(call.context().sql()).isNull();
        }
        assertThat(released.context().duration()).as("held through the sleep")
            .isGreaterThanOrEqualTo(Duration.ofMillis(40));

        journal.clear();
        JdbcTemplate jdbcTemplate = new JdbcTemplate(provider.dataSource());
        assertThat(jdbcTemplate.queryForObject("select 42", Integer.class)).isEqualTo(42);
        assertThat(mine(journal)).extracting(Call::point).containsExactly("onConnectionAcquired",
                "onConnectionReleased");
        assertThat(mine(journal)).allSatisfy((call) -> assertThat(call.context().node()).isEqualTo(node.name()));
    }

    @Test
    void aTransactionsContextGetsItsNodeOnceAStatementRan(PostgresNode node) {
        RecordingHook hook = new RecordingHook("hook");
        DefaultPostgresProvider provider = provider(node, hook);
        provider.inTransaction((status) -> {
            assertThat(hook.last("onTransactionBegin").node()).as("no statement yet").isNull();
            return provider.queryCount("select 1");
        });
        HookContext committed = hook.last("onTransactionCommit");
        assertThat(committed.node()).isEqualTo(node.name());
        assertThat(committed.role()).isEqualTo(NodeRole.PRIMARY);

        hook.clear();
        JdbcTransactionManager transactionManager = new JdbcTransactionManager(provider.dataSource());
        transactionManager.addListener(provider.getHooks().transactionListener());
        new TransactionTemplate(transactionManager).executeWithoutResult(
                (status) -> provider.exec("set local application_name = 'hooked'"));
        assertThat(statementPoints(hook)).containsExactly("onTransactionBegin", "beforeExec", "afterExec",
                "onTransactionCommit");
        assertThat(hook.last("onTransactionCommit").node()).isEqualTo(node.name());
    }

    @Test
    void aTransactionsContextGetsItsNodeWhenOnlyTransactionPointsAreHooked(PostgresNode node) {
        List<HookContext> ended = new CopyOnWriteArrayList<>();
        DefaultPostgresProvider provider = provider(node, new PostgresHook() {
            @Override
            public void onTransactionCommit(HookContext context) {
                ended.add(context);
            }
        });
        provider.inTransaction((status) -> provider.exec("set local application_name = 'hooked'"));
        assertThat(ended).singleElement().satisfies((context) -> {
            assertThat(context.node()).isEqualTo(node.name());
            assertThat(context.role()).isEqualTo(NodeRole.PRIMARY);
        });
    }

    @Test
    void nodeStateChangesOfTheTopologyReachTheHooks(PostgresNode node) {
        RecordingHook hook = new RecordingHook("hook");
        DefaultPostgresProvider provider = provider(node, hook);
        provider.topology().maintenance(node.name());
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> !hook.contexts("onNodeStateChange").isEmpty());
        }
        finally {
            provider.topology().resume(node.name());
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(stateChanges(hook))
            .extracting(NodeStateChangedEvent::state)
            .containsSubsequence(NodeState.MAINTENANCE, NodeState.HEALTHY));
        NodeStateChangedEvent maintenance = stateChanges(hook).get(0);
        assertThat(maintenance.node()).isEqualTo(node.name());
        assertThat(maintenance.previousState()).isEqualTo(NodeState.HEALTHY);
        assertThat(maintenance.state()).isEqualTo(NodeState.MAINTENANCE);
    }

    @Test
    void readsOnAReplicaAreReportedWithTheReplicaRole(@ClusterSpec(standbys = 1) PostgresCluster cluster) {
        List<Call> journal = new CopyOnWriteArrayList<>();
        RecordingHook hook = new RecordingHook("hook");
        DefaultPostgresProvider provider = provider(Topologies.start(cluster, Topologies.fast()), hook,
                new ConnectionRecorder(journal));
        String standby = cluster.standbys().get(0).name();

        assertThat(provider.queryCount("select 1")).isOne();
        assertThat(provider.exec("do $$ begin end $$")).isZero();

        HookContext read = hook.last("afterQuery");
        assertThat(read.node()).isEqualTo(standby);
        assertThat(read.role()).isEqualTo(NodeRole.REPLICA);
        HookContext write = hook.last("afterExec");
        assertThat(write.node()).isEqualTo(cluster.primary().name());
        assertThat(write.role()).isEqualTo(NodeRole.PRIMARY);
        assertThat(mine(journal)).extracting((call) -> call.point() + "@" + call.context().node() + "/"
                + call.context().role())
            .containsExactly("onConnectionAcquired@" + standby + "/REPLICA",
                    "onConnectionReleased@" + standby + "/REPLICA",
                    "onConnectionAcquired@" + cluster.primary().name() + "/PRIMARY",
                    "onConnectionReleased@" + cluster.primary().name() + "/PRIMARY");
    }

    /** The points a hook was called at, but for connection points, which every call adds. */
    private static List<String> statementPoints(RecordingHook hook) {
        return hook.points().stream().filter((point) -> !point.startsWith("onConnection")).toList();
    }

    private static List<NodeStateChangedEvent> stateChanges(RecordingHook hook) {
        return hook.calls().stream().filter((call) -> call.point().equals("onNodeStateChange"))
            .map((call) -> (NodeStateChangedEvent) call.event()).toList();
    }

    /** The calls made on the test's thread: pools may lend connections to other threads too. */
    private static List<Call> mine(List<Call> journal) {
        return journal.stream().filter((call) -> call.thread() == Thread.currentThread()).toList();
    }

    /**
     * A hook call with the thread it ran on.
     * @param point the method
     * @param context the context
     * @param thread the thread
     */
    record Call(String point, HookContext context, @Nullable Thread thread) {
    }

    /** Records the connection points. */
    static final class ConnectionRecorder implements PostgresHook {

        private final List<Call> journal;

        ConnectionRecorder(List<Call> journal) {
            this.journal = journal;
        }

        @Override
        public void onConnectionAcquired(HookContext context) {
            this.journal.add(new Call("onConnectionAcquired", context, Thread.currentThread()));
        }

        @Override
        public void onConnectionReleased(HookContext context) {
            this.journal.add(new Call("onConnectionReleased", context, Thread.currentThread()));
        }

    }

}
