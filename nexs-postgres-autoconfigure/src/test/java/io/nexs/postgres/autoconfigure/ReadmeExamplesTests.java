package io.nexs.postgres.autoconfigure;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.TransactionOptions;
import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ConsistencyToken;
import io.nexs.postgres.copy.CopyMode;
import io.nexs.postgres.copy.CopyOptions;
import io.nexs.postgres.copy.CopyResult;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.notify.Subscription;
import io.nexs.postgres.query.NamedParameters;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.topology.FailoverEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.cache.Cache;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Isolation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the README's Java examples true to the API: each one is compiled here, in {@link Examples}, and the test
 * checks that every {@code java} block of the README appears in this file word for word (whitespace aside), so an
 * example cannot change without the compiler seeing it.
 */
class ReadmeExamplesTests {

    private static final Pattern JAVA_BLOCK = Pattern.compile("^```java[ \\t]*\\R(.*?)^```[ \\t]*$",
            Pattern.MULTILINE | Pattern.DOTALL);

    @Test
    void everyJavaExampleOfTheReadmeIsCompiledHere() throws IOException {
        Path module = moduleDirectory();
        List<String> examples = javaBlocks(Files.readString(module.resolve("../README.md")));
        String source = normalised(Files.readString(
                module.resolve("src/test/java/io/nexs/postgres/autoconfigure/ReadmeExamplesTests.java")));
        assertThat(examples).isNotEmpty();
        assertThat(examples).allSatisfy((example) -> assertThat(source.contains(normalised(example)))
            .as("README example not compiled in ReadmeExamplesTests:%n%s", example)
            .isTrue());
    }

    @Test
    void findsOnlyTheJavaBlocks() {
        String markdown = "Text\n```java\nint a = 1;\n```\n```yaml\nkey: value\n```\n```java\nint b = 2;\n```\n";
        assertThat(javaBlocks(markdown)).containsExactly("int a = 1;\n", "int b = 2;\n");
    }

    /** Surefire runs tests in the module's folder and says so in {@code basedir}; an IDE usually does the first. */
    private static Path moduleDirectory() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    private static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher matcher = JAVA_BLOCK.matcher(markdown);
        while (matcher.find()) {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }

    /** Indentation and line breaks differ between the README and this file; the tokens must not. */
    private static String normalised(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }

    /**
     * The examples, compiled and never run. A fragment of statements is wrapped in a method, with the variables
     * it assumes as fields; a class of the README is a member or, for a test class, a local class, so that
     * neither JUnit nor component scanning picks it up.
     */
    @SuppressWarnings("unused")
    abstract static class Examples {

        private final Logger log = LoggerFactory.getLogger(Examples.class);

        private PostgresOperations postgres;

        private NotificationListenerContainer notifications;

        private Cache cache;

        private BigDecimal amount;

        private long from;

        private long to;

        private long transferId;

        private Iterable<?> readings;

        private Stream<?> readingsFromKafka;

        enum Status { OPEN, PAID }

        record Transfer(long id, BigDecimal amount) { }

        // Failover events

        @EventListener
        void onFailover(FailoverEvent event) {
            log.warn("writes moved from {} to {} after {}", event.previousPrimary(), event.newPrimary(),
                    event.writesUnavailable());
        }

        // Read your writes

        void placeThenConfirm(long orderId) {
            ConsistencyToken token = ConsistencyScope.readYourWrites(() -> {
                postgres.exec("update orders set status = 'PAID' where id = ?", orderId);
                return ConsistencyScope.currentToken().orElseThrow();
            });
            // another thread, or another service that received the token's text in a message header
            try (ConsistencyScope scope = ConsistencyScope.open(ConsistencyToken.parse(token.toString()))) {
                postgres.queryOne(Status.class, "select status from orders where id = ?", orderId);
            }
            ConsistencyScope.eventual(() -> postgres.queryCount("select count(*) from orders"));
        }

        // Querying

        void querying() {
            record Address(String street, String city) { }
            record Order(long id, String customer, Status status, BigDecimal total, OffsetDateTime createdAt,
                         Address shipTo) { }          // columns ship_to_street, ship_to_city fill shipTo

            List<Order> open = postgres.queryAll(Order.class, "select * from orders where status = ?", Status.OPEN);
            Optional<Order> one = postgres.queryOne(Order.class, "select * from orders where id = :id",
                    NamedParameters.of("id", 42));
            long paid = postgres.queryCount("select count(*) from orders where status = 'PAID'");
            int changed = postgres.exec("update orders set status = ? where id = any(?)", Status.PAID, List.of(1L, 2L));
        }

        // Transactions

        void transaction() {
            postgres.inTransaction(TransactionOptions.defaults().withIsolation(Isolation.SERIALIZABLE), status -> {
                postgres.exec("update accounts set balance = balance - ? where id = ?", amount, from);
                postgres.exec("update accounts set balance = balance + ? where id = ?", amount, to);
                return null;
            });
        }

        // LISTEN/NOTIFY

        void listenAndNotify() {
            Subscription subscription = notifications.listen("orders", n -> cache.evict(n.payload()));
            postgres.notify("orders", "42");
        }

        // Bulk loading with COPY

        void copy() {
            record Reading(long id, String label, Instant takenAt, BigDecimal amount) { }

            CopyResult loaded = postgres.copy().into("metrics.readings")
                    .columns("id", "label", "taken_at", "amount")
                    .rows(readings);

            CopyResult big = postgres.copy().into("metrics.readings")
                    .columns("id", "label", "taken_at", "amount")
                    .options(CopyOptions.defaults()
                        .withMode(CopyMode.PER_CHUNK).withParallelism(4).withChunkRows(50_000)
                        .withProgress(Duration.ofSeconds(5), p -> log.info("{} rows, {} left", p.rows(), p.eta())))
                    .rows(readingsFromKafka);                             // a Stream, read as it comes
        }

        // Retries and commit outcomes

        void retriedTransaction() {
            Transfer done = postgres.inTransaction(TransactionOptions.defaults().withIsolation(Isolation.SERIALIZABLE),
                    status -> {
                        postgres.exec("update accounts set balance = balance - ? where id = ?", amount, from);
                        postgres.exec("update accounts set balance = balance + ? where id = ?", amount, to);
                        return postgres.queryOne(Transfer.class, "insert into transfers (id, amount) values (?, ?) returning *",
                                transferId, amount).orElseThrow();
                    });
        }

        // Hooks

        @Component
        @Order(10)
        class TimingHook implements PostgresHook {

            @Override
            public void afterQuery(HookContext context) {
                if (context.failed()) {
                    log.warn("{} on {} ({}) failed with {}", context.name(), context.node(), context.role(), context.sqlState());
                }
            }
        }

        // Testing with real PostgreSQL

        @SuppressWarnings("try")
        void testKit() {
            @ExtendWith(PostgresExtension.class)
            class OrderRepositoryTests {

                @Test
                void storesOrders(PostgresNode node) throws SQLException {
                    try (Connection connection = node.connect()) {
                        // ...
                    }
                }

                @Test
                void readsFromAStandby(@ClusterSpec(standbys = 1, synchronous = true) PostgresCluster cluster) {
                    // cluster.primary(), cluster.standbys(), cluster.awaitReplay(Duration.ofSeconds(5)), node.promote(),
                    // node.crash(), node.hang(), node.resume(), node.restart()
                }

            }
        }

        void proxy(PostgresCluster cluster) {
            try (TcpProxy proxy = TcpProxy.forNode(cluster.primary())) {
                // point the application at proxy.address() instead of the node, then:
                proxy.blackHole(true);
            }
        }

    }

}
