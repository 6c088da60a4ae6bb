package io.nexs.postgres.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import javax.sql.DataSource;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.test.PostgresNode;
import org.jspecify.annotations.Nullable;

import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.data.annotation.Id;
import org.springframework.data.jdbc.repository.config.AbstractJdbcConfiguration;
import org.springframework.data.jdbc.repository.config.EnableJdbcRepositories;
import org.springframework.data.jdbc.repository.query.Query;
import org.springframework.data.repository.CrudRepository;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcOperations;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;

/**
 * The consistency benchmark's repository part: a Spring Data JDBC repository on the provider's routed
 * {@code DataSource}, with the default settings. A writer calls {@code save()} then {@code findById()} in a
 * closed loop; a {@code findById()} that misses the row just saved is stale. Two readers that never write call a
 * read-only query method of the same repository that says which server answered. The default (read-your-writes)
 * and eventual reads ({@code ConsistencyScope.eventual} around each call, as {@code consistency=eventual} does)
 * alternate by round. Then {@code save()} alone, a one-row write transaction, is timed under both, alternating
 * call by call on one thread: the cost of taking the write's position with its {@code COMMIT}.
 */
final class RepositoryConsistency {

    static final String CREATE_TABLE = "create table item (id bigint generated always as identity primary key, "
            + "body text not null)";

    private static final int READERS = 2;

    private static final long READ_INTERVAL_NANOS = 1_000_000;

    private RepositoryConsistency() {
    }

    /**
     * Runs the rounds and prints their table.
     * @param provider the provider, on the default topology settings
     * @param primary the primary, to tell its answers from the replicas'
     * @param rounds rounds per mode, after a warm-up round of each
     * @param length the length of a round
     * @return the result keys
     * @throws InterruptedException when interrupted
     */
    static String measure(DefaultPostgresProvider provider, PostgresNode primary, int rounds, long length)
            throws InterruptedException {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.registerBean("dataSource", DataSource.class, provider::dataSource);
            context.register(RepositoryConfiguration.class);
            context.refresh();
            ItemRepository items = context.getBean(ItemRepository.class);
            Outcome defaults = new Outcome();
            Outcome eventual = new Outcome();
            for (int r = -1; r < rounds; r++) {
                boolean defaultFirst = (r & 1) == 0;
                for (int half = 0; half < 2; half++) {
                    boolean byDefault = (half == 0) == defaultFirst;
                    Outcome into = (r < 0) ? new Outcome() : (byDefault ? defaults : eventual);
                    round(items, primary.port(), byDefault, length, into);
                }
            }
            double[][] saveCost = saveCost(items, rounds);
            PairedRatio saveRatio = PairedRatio.of(saveCost[0], saveCost[1]);
            double share = defaults.replicaShare();
            TextTable table = new TextTable("repository reads", "save() then findById()", "stale findById()",
                    "save() p50 ms (readers on)", "p99 ms", "read-only calls of threads that wrote nothing", "served by replicas");
            table.row("default (read-your-writes)", String.valueOf(defaults.saves), String.valueOf(defaults.stale),
                    format(defaults.savePercentile(0.5)), format(defaults.savePercentile(0.99)),
                    String.valueOf(defaults.readerCalls.get()), format(share));
            table.row("eventual", String.valueOf(eventual.saves), String.valueOf(eventual.stale),
                    format(eventual.savePercentile(0.5)), format(eventual.savePercentile(0.99)),
                    String.valueOf(eventual.readerCalls.get()), format(eventual.replicaShare()));
            table.print();
            System.out.println();
            System.out.println("save() alone, one thread, default and eventual alternating call by call: speed "
                    + "default / eventual (1/median latency), paired by round: " + saveRatio.cell()
                    + String.format(Locale.ROOT, "; median %.3f ms vs %.3f ms", 1e3 / PairedRatio.median(saveCost[0]),
                            1e3 / PairedRatio.median(saveCost[1])));
            System.out.println("targets: stale_reads_repository_default = 0, repository_replica_share >= 0.9");
            System.out.println();
            return String.format(Locale.ROOT,
                    "stale_reads_repository_default=%d stale_reads_repository_eventual=%d repository_replica_share=%.2f "
                            + "save_ryw_vs_eventual=%.2f",
                    defaults.stale, eventual.stale, share, saveRatio.median());
        }
    }

    /**
     * The one-row write transaction alone, read-your-writes on (the default) and off, alternating call by call on
     * one thread so that the machine's load falls on both alike.
     * @return per round, the speed (1/median latency) of the default and of eventual
     */
    private static double[][] saveCost(ItemRepository items, int rounds) {
        int calls = 400;
        double[][] speeds = new double[2][rounds];
        for (int r = -1; r < rounds; r++) {
            long[][] nanos = new long[2][calls];
            for (int i = 0; i < calls; i++) {
                for (int mode = 0; mode < 2; mode++) {
                    // which goes first alternates too
                    int m = ((i & 1) == 0) ? mode : 1 - mode;
                    long start = System.nanoTime();
                    call(m == 0, () -> items.save(new Item(null, "written")));
                    nanos[m][i] = System.nanoTime() - start;
                }
            }
            if (r >= 0) {
                for (int m = 0; m < 2; m++) {
                    Arrays.sort(nanos[m]);
                    speeds[m][r] = 1e9 / nanos[m][calls / 2];
                }
            }
        }
        return speeds;
    }

    private static void round(ItemRepository items, int primaryPort, boolean byDefault, long length,
            Outcome into) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        Thread[] readers = new Thread[READERS];
        for (int i = 0; i < READERS; i++) {
            readers[i] = new Thread(() -> {
                long next = System.nanoTime();
                while (running.get()) {
                    int port = call(byDefault, items::servedBy);
                    into.readerCalls.incrementAndGet();
                    if (port != primaryPort) {
                        into.replicaCalls.incrementAndGet();
                    }
                    next += READ_INTERVAL_NANOS;
                    long pause = next - System.nanoTime();
                    if (pause > 0) {
                        LockSupport.parkNanos(pause);
                    }
                }
            }, "repository-reader-" + i);
            readers[i].start();
        }
        // the writer is a thread of its own each round, as a request or a message is on a pooled thread
        Thread writer = new Thread(() -> {
            long end = System.nanoTime() + length * 1_000_000;
            while (System.nanoTime() - end < 0) {
                long start = System.nanoTime();
                Item saved = call(byDefault, () -> items.save(new Item(null, "written")));
                long took = System.nanoTime() - start;
                boolean found = call(byDefault, () -> items.findById(saved.id())).isPresent();
                into.record(took, !found);
            }
        }, "repository-writer");
        writer.start();
        writer.join();
        running.set(false);
        for (Thread reader : readers) {
            reader.join();
        }
    }

    private static <T> T call(boolean byDefault, Supplier<T> work) {
        return byDefault ? work.get() : ConsistencyScope.eventual(work);
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** A row of table {@code item}; its id is {@code null} until the database gives one. */
    record Item(@Id @Nullable Long id, String body) {
    }

    /** The repository, as an application declares it. */
    interface ItemRepository extends CrudRepository<Item, Long> {

        /**
         * The port of the server that answered, in a read-only transaction as the repository's finders run.
         * @return the port
         */
        @Query("select inet_server_port()")
        @Transactional(readOnly = true)
        int servedBy();

    }

    /** Spring Data JDBC on the routed {@code DataSource}, the way an application's configuration sets it up. */
    @Configuration(proxyBeanMethods = false)
    @EnableJdbcRepositories(basePackageClasses = RepositoryConsistency.class, considerNestedRepositories = true,
            includeFilters = @ComponentScan.Filter(type = FilterType.ASSIGNABLE_TYPE, classes = ItemRepository.class))
    static class RepositoryConfiguration extends AbstractJdbcConfiguration {

        @Bean
        NamedParameterJdbcOperations namedParameterJdbcOperations(DataSource dataSource) {
            return new NamedParameterJdbcTemplate(dataSource);
        }

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

    }

    /** The writer's saves and stale finds, and the readers' calls, of one mode. */
    private static final class Outcome {

        long saves;

        long stale;

        long[] saveNanos = new long[1 << 12];

        final AtomicLong readerCalls = new AtomicLong();

        final AtomicLong replicaCalls = new AtomicLong();

        void record(long nanos, boolean wasStale) {
            if (this.saves == this.saveNanos.length) {
                this.saveNanos = Arrays.copyOf(this.saveNanos, this.saveNanos.length * 2);
            }
            this.saveNanos[(int) this.saves] = nanos;
            this.saves++;
            if (wasStale) {
                this.stale++;
            }
        }

        double savePercentile(double q) {
            if (this.saves == 0) {
                return 0;
            }
            double[] sorted = new double[(int) this.saves];
            for (int i = 0; i < sorted.length; i++) {
                sorted[i] = this.saveNanos[i] / 1e6;
            }
            Arrays.sort(sorted);
            return PairedRatio.quantile(sorted, q);
        }

        double replicaShare() {
            long calls = this.readerCalls.get();
            return (calls == 0) ? 0 : (double) this.replicaCalls.get() / calls;
        }

    }

}
