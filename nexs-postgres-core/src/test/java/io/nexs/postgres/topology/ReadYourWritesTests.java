package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import javax.sql.DataSource;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ConsistencyToken;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.pool.ConnectionSettings;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Read-your-writes against a real primary and a standby whose replay is paused, so that a read that may go to the
 * standby would miss every write made since.
 */
class ReadYourWritesTests {

    private static final Duration WAIT = Duration.ofMillis(100);

    private static PostgresCluster cluster;

    private static PostgresNode standby;

    private DefaultPostgresProvider eventual;

    private DefaultPostgresProvider readYourWrites;

    @BeforeAll
    static void startCluster() {
        cluster = PostgresCluster.builder().standbys(1).start();
        standby = cluster.standbys().get(0);
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void startProviders() throws SQLException {
        this.eventual = provider(ReadConsistency.EVENTUAL);
        this.readYourWrites = provider(ReadConsistency.READ_YOUR_WRITES);
        this.eventual.exec("create table if not exists notes (id int primary key)");
        this.eventual.exec("truncate notes");
        cluster.awaitReplay(standby, Duration.ofSeconds(10));
        replay("pause");
    }

    @AfterEach
    void stopProviders() throws SQLException {
        replay("resume");
        this.eventual.close();
        this.readYourWrites.close();
    }

    private static DefaultPostgresProvider provider(ReadConsistency consistency) {
        return provider(Topologies.fast().withConsistency(consistency, WAIT));
    }

    private static DefaultPostgresProvider provider(TopologySettings settings) {
        return new DefaultPostgresProvider(Topologies.start(cluster, settings),
                new RowMappers(UnmappedColumns.IGNORE, null), 100);
    }

    private static void replay(String what) throws SQLException {
        try (Connection connection = standby.connect(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_wal_replay_" + what + "()");
        }
    }

    @Test
    void anEventualReadAfterAWriteMissesItOnTheLaggingReplica() {
        this.eventual.exec("insert into notes values (1)");
        assertThat(this.eventual.queryCount("select count(*) from notes where id = 1")).isZero();
    }

    @Test
    void aReadAfterAWriteOnTheSameThreadSeesItThroughThePrimaryWhenNoReplicaHasIt() {
        this.readYourWrites.exec("insert into notes values (1)");
        long start = System.nanoTime();
        assertThat(this.readYourWrites.queryCount("select count(*) from notes where id = 1")).isOne();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(WAIT);
        assertThat(this.readYourWrites.queryOne(Boolean.class, "select pg_is_in_recovery()")).contains(false);
    }

    @Test
    void aReadWaitsForTheReplicaThatReplaysTheWriteInTime() throws Exception {
        TopologySettings settings = Topologies.fast().withConsistency(ReadConsistency.READ_YOUR_WRITES,
                Duration.ofSeconds(10));
        try (DefaultPostgresProvider patient = new DefaultPostgresProvider(Topologies.start(cluster, settings),
                new RowMappers(UnmappedColumns.IGNORE, null), 100)) {
            patient.exec("insert into notes values (1)");
            ConsistencyToken token = ConsistencyScope.currentToken().orElseThrow();
            CompletableFuture<Optional<Boolean>> read = CompletableFuture.supplyAsync(() -> {
                try (ConsistencyScope scope = ConsistencyScope.open(token)) {
                    return patient.queryOne(Boolean.class, "select pg_is_in_recovery() from notes where id = 1");
                }
            });
            replay("resume");
            // the standby, not the primary after the wait ran out
            assertThat(read.get()).contains(true);
        }
    }

    @Test
    void aTokenCarriesTheWriteToAnotherThread() throws Exception {
        ConsistencyToken token = ConsistencyScope.readYourWrites(() -> {
            this.eventual.exec("insert into notes values (1)");
            return ConsistencyScope.currentToken().orElseThrow();
        });
        ConsistencyToken parsed = ConsistencyToken.parse(token.toString());
        assertThat(parsed).isEqualTo(token);
        CompletableFuture<Long> withToken = CompletableFuture.supplyAsync(() -> {
            try (ConsistencyScope scope = ConsistencyScope.open(parsed)) {
                return this.eventual.queryCount("select count(*) from notes where id = 1");
            }
        });
        CompletableFuture<Long> withoutToken = CompletableFuture
            .supplyAsync(() -> this.eventual.queryCount("select count(*) from notes where id = 1"));
        assertThat(withToken.get()).isOne();
        assertThat(withoutToken.get()).isZero();
    }

    @Test
    void springTransactionsAndAutoCommitStatementsOnTheRoutedDataSourceAreReadBack() {
        JdbcTemplate jdbc = new JdbcTemplate(this.readYourWrites.dataSource());
        TransactionTemplate writes = new TransactionTemplate(
                new DataSourceTransactionManager(this.readYourWrites.dataSource()));
        TransactionTemplate reads = new TransactionTemplate(
                new DataSourceTransactionManager(this.readYourWrites.dataSource()));
        reads.setReadOnly(true);
        writes.executeWithoutResult((status) -> jdbc.update("insert into notes values (1)"));
        Long afterTransaction = reads.execute((status) -> jdbc.queryForObject("select count(*) from notes", Long.class));
        assertThat(afterTransaction).isOne();
        jdbc.update("insert into notes values (2)");
        Long afterStatement = reads.execute((status) -> jdbc.queryForObject("select count(*) from notes", Long.class));
        assertThat(afterStatement).isEqualTo(2);
        // the same read-only transaction under eventual consistency goes to the paused standby
        Long eventually = ConsistencyScope.eventual(() -> reads
            .execute((status) -> jdbc.queryForObject("select count(*) from notes", Long.class)));
        assertThat(eventually).isZero();
    }

    @Test
    void transactionsBatchesAndPipelinesOfTheProviderAreReadBack() {
        this.readYourWrites.inTransaction((status) -> this.readYourWrites.exec("insert into notes values (1)"));
        assertThat(this.readYourWrites.queryCount("select count(*) from notes")).isOne();
        this.readYourWrites.batch("insert into notes values (?)", List.of(new Object[] { 2 }, new Object[] { 3 }));
        assertThat(this.readYourWrites.queryCount("select count(*) from notes")).isEqualTo(3);
        this.readYourWrites.pipeline().add("insert into notes values (4)").execute();
        assertThat(this.readYourWrites.queryCount("select count(*) from notes")).isEqualTo(4);
    }

    @Test
    void aBatchOrPipelineMadeAtomicIsReadBackOnAThreadThatWroteNothingBefore() throws Exception {
        // each on a thread of its own, so no earlier write of the thread sends the read to the primary anyway
        long batch = CompletableFuture.supplyAsync(() -> {
            this.readYourWrites.batch("insert into notes values (?)", List.of(new Object[] { 1 }, new Object[] { 2 }));
            return this.readYourWrites.queryCount("select count(*) from notes");
        }).get();
        assertThat(batch).isEqualTo(2);
        long pipeline = CompletableFuture.supplyAsync(() -> {
            this.readYourWrites.pipeline()
                .add("insert into notes values (3)")
                .add("insert into notes values (4)")
                .execute();
            return this.readYourWrites.queryCount("select count(*) from notes");
        }).get();
        assertThat(pipeline).isEqualTo(4);
    }

    @Test
    void readsGoBackToTheReplicaOnceItHasReplayedTheWrite() throws SQLException {
        this.readYourWrites.exec("insert into notes values (1)");
        replay("resume");
        await().atMost(Duration.ofSeconds(10))
            .until(() -> this.readYourWrites.queryOne(Boolean.class, "select pg_is_in_recovery()"),
                    (inRecovery) -> inRecovery.orElse(false));
    }

    @Test
    void secondaryReadsFailRatherThanReadTheirWritesFromThePrimary() {
        this.readYourWrites.exec("insert into notes values (1)");
        assertThatExceptionOfType(ReplicaUnavailableException.class)
            .isThrownBy(() -> this.readYourWrites.withReadPreference(ReadPreference.SECONDARY)
                .queryCount("select count(*) from notes"))
            .withMessageContaining("replayed WAL position");
    }

    @Test
    void aRolledBackTransactionLeavesTheThreadNothingToReadBack() {
        Optional<ConsistencyToken> token = CompletableFuture.supplyAsync(() -> {
            JdbcTemplate jdbc = new JdbcTemplate(this.readYourWrites.dataSource());
            TransactionTemplate writes = new TransactionTemplate(
                    new DataSourceTransactionManager(this.readYourWrites.dataSource()));
            writes.executeWithoutResult((status) -> {
                jdbc.update("insert into notes values (7)");
                status.setRollbackOnly();
            });
            return ConsistencyScope.currentToken();
        }, (work) -> new Thread(work).start()).join();
        assertThat(token).isEmpty();
        assertThat(this.readYourWrites.withReadPreference(ReadPreference.PRIMARY)
            .queryCount("select count(*) from notes")).isZero();
    }

    @Test
    void aThreadThatWroteNothingReadsFromTheReplicaWithoutWaiting() {
        Optional<Boolean> inRecovery = CompletableFuture
            .supplyAsync(() -> this.readYourWrites.queryOne(Boolean.class, "select pg_is_in_recovery()")).join();
        assertThat(inRecovery).contains(true);
    }

    @Test
    void withTheDefaultsARepositoryReadsWhatItSavedAndAThreadThatWroteNothingReadsTheReplica() throws Exception {
        // a repository's save() is a read-write transaction, its findById() a read-only one that begins afterwards
        try (DefaultPostgresProvider defaults = provider(TopologySettings.defaults())) {
            assertThat(missesOfReadsAfterWrites(defaults.dataSource(), 5)).isZero();
            TransactionTemplate reads = new TransactionTemplate(
                    new DataSourceTransactionManager(defaults.dataSource()));
            reads.setReadOnly(true);
            JdbcTemplate jdbc = new JdbcTemplate(defaults.dataSource());
            // a thread of its own, which wrote nothing
            Boolean replica = CompletableFuture.supplyAsync(() -> reads
                .execute((status) -> jdbc.queryForObject("select pg_is_in_recovery()", Boolean.class)),
                    (work) -> new Thread(work).start()).get();
            assertThat(replica).isTrue();
        }
    }

    @Test
    void onceTheWindowHasPassedSinceItsLastWriteTheThreadReadsFromTheReplicaAgain() throws Exception {
        TopologySettings settings = Topologies.fast()
            .withConsistency(ReadConsistency.READ_YOUR_WRITES, WAIT)
            .withReadYourWritesWindow(Duration.ofMillis(300));
        try (DefaultPostgresProvider windowed = provider(settings)) {
            JdbcTemplate jdbc = new JdbcTemplate(windowed.dataSource());
            TransactionTemplate writes = new TransactionTemplate(
                    new DataSourceTransactionManager(windowed.dataSource()));
            TransactionTemplate reads = new TransactionTemplate(
                    new DataSourceTransactionManager(windowed.dataSource()));
            reads.setReadOnly(true);
            CompletableFuture.runAsync(() -> {
                writes.executeWithoutResult((status) -> jdbc.update("insert into notes values (1)"));
                Long fromPrimary = reads
                    .execute((status) -> jdbc.queryForObject("select count(*) from notes", Long.class));
                assertThat(fromPrimary).isOne();
                await().pollInSameThread()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> reads.execute((status) -> jdbc.queryForObject("select pg_is_in_recovery()",
                            Boolean.class)));
                // the paused replica, which has not replayed the write
                Long fromReplica = reads
                    .execute((status) -> jdbc.queryForObject("select count(*) from notes", Long.class));
                assertThat(fromReplica).isZero();
            }).get();
        }
    }

    /**
     * A write that runs the position query on its own: until one has, transactions do not send it with their
     * {@code COMMIT}.
     */
    private void positionQueryRan() {
        this.readYourWrites.exec("insert into notes values (0)");
        this.readYourWrites.exec("delete from notes where id = 0");
    }

    @Test
    void aCommitThatFailsOnADeferredConstraintThrowsWhatTheDriversCommitThrows() throws SQLException {
        positionQueryRan();
        this.eventual.exec("create table if not exists deferred_notes (id int, constraint deferred_notes_unique "
                + "unique (id) deferrable initially deferred)");
        this.eventual.exec("truncate deferred_notes");
        SQLException plain;
        try (Connection connection = cluster.primary().connect()) {
            plain = commitDuplicate(connection);
        }
        try (Connection connection = this.readYourWrites.dataSource().getConnection()) {
            SQLException routed = commitDuplicate(connection);
            assertThat((Throwable) routed).isExactlyInstanceOf(plain.getClass()).hasMessage(plain.getMessage());
            assertThat(routed.getSQLState()).isEqualTo(plain.getSQLState()).isEqualTo("23505");
            connection.rollback();
            // the driver and the pool know the transaction ended: the next one commits
            try (Statement statement = connection.createStatement()) {
                statement.execute("insert into deferred_notes values (2)");
            }
            connection.commit();
        }
        assertThat(this.readYourWrites.withReadPreference(ReadPreference.PRIMARY)
            .queryCount("select count(*) from deferred_notes")).isOne();
    }

    private static SQLException commitDuplicate(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("insert into deferred_notes values (1)");
            statement.execute("insert into deferred_notes values (1)");
        }
        return catchThrowableOfType(SQLException.class, connection::commit);
    }

    @Test
    void warningsOfTheCommitAreTheConnectionsAndItsPositionIsTaken() throws Exception {
        positionQueryRan();
        this.eventual.exec("create or replace function warn_at_commit() returns trigger language plpgsql as "
                + "$$ begin raise warning 'checked at commit'; return null; end $$");
        this.eventual.exec("create table if not exists warned_notes (id int)");
        this.eventual.exec("drop trigger if exists warned on warned_notes");
        this.eventual.exec("create constraint trigger warned after insert on warned_notes deferrable initially "
                + "deferred for each row execute function warn_at_commit()");
        Optional<ConsistencyToken> token = CompletableFuture.supplyAsync(() -> {
            try (Connection connection = this.readYourWrites.dataSource().getConnection()) {
                connection.setAutoCommit(false);
                // more commits than the driver runs before it prepares the statement on the server
                for (int i = 0; i < 7; i++) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("insert into warned_notes values (1)");
                    }
                    connection.clearWarnings();
                    connection.commit();
                    SQLWarning warning = connection.getWarnings();
                    assertThat((Throwable) warning).isNotNull();
                    assertThat(warning.getMessage()).contains("checked at commit");
                    assertThat((Throwable) warning.getNextWarning()).isNull();
                }
                return ConsistencyScope.currentToken();
            }
            catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
        }).get();
        assertThat(token).isPresent();
        long flushed;
        try (Connection connection = cluster.primary().connect(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select (pg_current_wal_flush_lsn() - '0/0')::bigint")) {
            rs.next();
            flushed = rs.getLong(1);
        }
        assertThat(token.get().position()).isPositive().isLessThanOrEqualTo(flushed);
    }

    @Test
    void aFailedTransactionCommitsAsTheDriverCommitsIt() throws SQLException {
        try (Connection connection = this.readYourWrites.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("insert into notes values (1)");
                assertThatExceptionOfType(SQLException.class)
                    .isThrownBy(() -> statement.execute("select 1 / 0"));
            }
            // the server answers ROLLBACK, which the driver does not report
            connection.commit();
            connection.setAutoCommit(true);
        }
        assertThat(this.readYourWrites.withReadPreference(ReadPreference.PRIMARY)
            .queryCount("select count(*) from notes")).isZero();
    }

    @Test
    void whereThePositionQueryIsRefusedTransactionsCommitAndTheThreadReadsFromThePrimary() throws Exception {
        execute("create role limited login");
        execute("grant all on notes to limited");
        execute("revoke execute on function pg_current_wal_flush_lsn(), pg_current_wal_insert_lsn() from public");
        try {
            TopologySettings settings = Topologies.fast().withConsistency(ReadConsistency.READ_YOUR_WRITES, WAIT);
            try (DefaultPostgresProvider limited = new DefaultPostgresProvider(Topologies.start(cluster, settings,
                    (definition) -> new NodeDefinition(definition.name(), new ConnectionSettings(
                            definition.connection().address(), definition.connection().jdbcUrl(), "limited", null,
                            definition.connection().driverProperties()), definition.pool(), 1, Set.of())),
                    new RowMappers(UnmappedColumns.IGNORE, null), 100)) {
                assertThat(missesOfReadsAfterWrites(limited.dataSource(), 3)).isZero();
            }
        }
        finally {
            execute("grant execute on function pg_current_wal_flush_lsn(), pg_current_wal_insert_lsn() to public");
            execute("drop owned by limited");
            execute("drop role limited");
        }
    }

    /**
     * What a repository does, {@code count} times on a thread of its own: saves a note in a read-write
     * transaction, then looks it up in a read-only one. Returns how many lookups missed the note.
     */
    private static int missesOfReadsAfterWrites(DataSource dataSource, int count) throws Exception {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        TransactionTemplate writes = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        TransactionTemplate reads = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        reads.setReadOnly(true);
        return CompletableFuture.supplyAsync(() -> {
            int misses = 0;
            for (int id = 1; id <= count; id++) {
                int saved = id;
                writes.executeWithoutResult((status) -> jdbc.update("insert into notes values (?)", saved));
                Long found = reads.execute((status) -> jdbc
                    .queryForObject("select count(*) from notes where id = ?", Long.class, saved));
                misses += (found == 1) ? 0 : 1;
            }
            return misses;
        }, (work) -> new Thread(work).start()).get();
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = cluster.primary().connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

}
