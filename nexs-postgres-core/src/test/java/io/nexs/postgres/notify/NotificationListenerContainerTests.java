package io.nexs.postgres.notify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.nexs.postgres.error.PostgresException;
import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

@ExtendWith(PostgresExtension.class)
class NotificationListenerContainerTests {

    private static final Logger logger = LoggerFactory.getLogger(NotificationListenerContainerTests.class);

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Short timings so that reconnects and probes happen within a test's patience. */
    private static final ListenSettings FAST = new ListenSettings(Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofMillis(400));

    private final List<NotificationListenerContainer> containers = new ArrayList<>();

    @AfterEach
    void closeContainers() {
        this.containers.forEach(NotificationListenerContainer::close);
    }

    @Test
    void deliversANotificationSentByAnotherSessionOnTheContainersThread(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        container.listen("orders", orders);
        int sender;
        try (Connection connection = node.connect()) {
            sender = backendPid(connection);
            notify(connection, "orders", "x");
        }
        Notification received = orders.next();
        assertThat(received.channel()).isEqualTo("orders");
        assertThat(received.payload()).isEqualTo("x");
        assertThat(received.senderPid()).isEqualTo(sender);
        assertThat(received.toString()).doesNotContain("x]").contains("1 chars");
        Thread delivery = orders.threads.get(0);
        assertThat(delivery).isNotSameAs(Thread.currentThread());
        assertThat(delivery.getName()).isEqualTo(NotificationListenerContainer.THREAD_NAME);
        assertThat(delivery.isDaemon()).isTrue();
    }

    @Test
    void deliversInOrderToEveryListenerInTheOrderTheyWereRegistered(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        List<String> calls = new CopyOnWriteArrayList<>();
        Recorder last = new Recorder();
        container.listen("orders", (notification) -> calls.add("first:" + notification.payload()));
        container.listen("orders", (notification) -> calls.add("second:" + notification.payload()));
        container.listen("orders", last);
        try (Connection connection = node.connect()) {
            for (int i = 1; i <= 3; i++) {
                notify(connection, "orders", String.valueOf(i));
            }
        }
        assertThat(List.of(last.next().payload(), last.next().payload(), last.next().payload()))
            .containsExactly("1", "2", "3");
        assertThat(calls).containsExactly("first:1", "second:1", "first:2", "second:2", "first:3", "second:3");
    }

    @Test
    void aListenerHearsOnlyItsOwnChannel(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        Recorder invoices = new Recorder();
        container.listen("orders", orders);
        container.listen("invoices", invoices);
        try (Connection connection = node.connect()) {
            notify(connection, "invoices", "i1");
            notify(connection, "orders", "o1");
        }
        assertThat(orders.next().payload()).isEqualTo("o1");
        assertThat(invoices.next().payload()).isEqualTo("i1");
        // Delivery is sequential, so once o1 arrived, i1 (sent before it) has been dispatched too.
        assertThat(orders.received).isEmpty();
        assertThat(invoices.received).isEmpty();
    }

    @Test
    void channelNamesAreQuotedAndCaseSensitive(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder quoted = new Recorder();
        Recorder lower = new Recorder();
        Recorder longest = new Recorder();
        String longestName = "é".repeat(31) + "x";
        assertThat(ChannelNames.utf8Length(longestName)).isEqualTo(63);
        container.listen("Orders\"x", quoted);
        container.listen("orders", lower);
        container.listen(longestName, longest);
        assertThat(container.serverChannels()).containsExactlyInAnyOrder("Orders\"x", "orders", longestName);
        try (Connection connection = node.connect()) {
            notify(connection, "Orders\"x", "q");
            notify(connection, "orders", "l");
            notify(connection, "ORDERS", "nobody");
            notify(connection, longestName, "63 bytes");
        }
        assertThat(quoted.next().payload()).isEqualTo("q");
        assertThat(lower.next().payload()).isEqualTo("l");
        assertThat(longest.next().payload()).isEqualTo("63 bytes");
        assertThat(quoted.received).isEmpty();
        assertThat(lower.received).isEmpty();
    }

    @Test
    void closingASubscriptionStopsItsDeliveryAndTheLastOneUnlistens(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        Subscription firstSubscription = container.listen("orders", first);
        Subscription secondSubscription = container.listen("orders", second);
        assertThat(firstSubscription.channel()).isEqualTo("orders");
        firstSubscription.close();
        firstSubscription.close();
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "after");
        }
        // The first listener would have been called before the second.
        assertThat(second.next().payload()).isEqualTo("after");
        assertThat(first.received).isEmpty();
        assertThat(container.serverChannels()).containsExactly("orders");
        secondSubscription.close();
        assertThat(container.serverChannels()).isEmpty();
    }

    @Test
    void unlistenRemovesEveryListenerOfTheChannel(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        Recorder sentinel = new Recorder();
        container.listen("orders", first);
        container.listen("orders", second);
        container.listen("sentinel", sentinel);
        container.unlisten("orders");
        container.unlisten("orders");
        assertThat(container.serverChannels()).containsExactly("sentinel");
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "dropped");
            notify(connection, "sentinel", "s");
        }
        assertThat(sentinel.next().payload()).isEqualTo("s");
        assertThat(first.received).isEmpty();
        assertThat(second.received).isEmpty();
    }

    @Test
    void aThrowingListenerDoesNotStopDeliveryToTheOthers(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        AtomicInteger failures = new AtomicInteger();
        Recorder healthy = new Recorder();
        container.listen("orders", (notification) -> {
            failures.incrementAndGet();
            throw new IllegalStateException("listener bug");
        });
        container.listen("orders", healthy);
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "1");
            notify(connection, "orders", "2");
        }
        assertThat(healthy.next().payload()).isEqualTo("1");
        assertThat(healthy.next().payload()).isEqualTo("2");
        assertThat(failures).hasValue(2);
        assertThat(container.isRunning()).isTrue();
    }

    @Test
    void aListenerThatInterruptsItsThreadDoesNotStopDelivery(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        container.listen("orders", (notification) -> Thread.currentThread().interrupt());
        container.listen("orders", orders);
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "1");
            orders.next();
            assertThat(orders.threads.get(0).isInterrupted()).isFalse();
            notify(connection, "orders", "2");
        }
        assertThat(orders.next().payload()).isEqualTo("2");
        assertThat(container.isRunning()).isTrue();
    }

    @Test
    void listenIsInEffectWhenItReturnsAlsoBeforeStart(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = track(new NotificationListenerContainer(node::connect, FAST));
        Recorder orders = new Recorder();
        container.listen("orders", orders);
        assertThat(container.isRunning()).isFalse();
        assertThat(container.backendPid()).isPositive();
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "before start");
        }
        container.start();
        container.start();
        assertThat(orders.next().payload()).isEqualTo("before start");
        Recorder late = new Recorder();
        container.listen("late", late);
        try (Connection connection = node.connect()) {
            notify(connection, "late", "right after listen");
        }
        assertThat(late.next().payload()).isEqualTo("right after listen");
    }

    @Test
    void carriesTheLongestPayloadThatPostgresqlAccepts(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        container.listen("orders", orders);
        String longest = "ä".repeat(3999) + "x";
        assertThat(NotificationListenerContainer.validatePayload(longest)).isSameAs(longest);
        String tooLong = longest + "y";
        assertThatIllegalArgumentException().isThrownBy(() -> NotificationListenerContainer.validatePayload(tooLong));
        try (Connection connection = node.connect()) {
            // The server's rule matches the validation: 7999 bytes pass, 8000 do not.
            assertThatExceptionOfType(PSQLException.class).isThrownBy(() -> notify(connection, "orders", tooLong))
                .withMessageContaining("payload string too long");
            notify(connection, "orders", longest);
        }
        assertThat(orders.next().payload()).isEqualTo(longest);
    }

    @Test
    void relistensAfterTheBackendIsTerminated(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        Recorder invoices = new Recorder();
        container.listen("orders", orders);
        container.listen("invoices", invoices);
        int terminated = container.backendPid();
        long start = System.nanoTime();
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_terminate_backend(" + terminated + ")");
        }
        assertThat(orders.nextResubscribed()).isEqualTo("orders");
        assertThat(invoices.nextResubscribed()).isEqualTo("invoices");
        long relistenMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        logger.info("Listening again {} ms after pg_terminate_backend", relistenMillis);
        assertThat(orders.resubscribeThreads).allMatch((thread) -> thread.getName()
            .equals(NotificationListenerContainer.THREAD_NAME));
        assertThat(container.backendPid()).isPositive().isNotEqualTo(terminated);
        assertThat(container.serverChannels()).containsExactlyInAnyOrder("orders", "invoices");
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "after");
        }
        assertThat(orders.next().payload()).isEqualTo("after");
    }

    @Test
    void theSourceHearsWhichOfItsConnectionsWasLost(PostgresNode node) throws SQLException {
        BlockingQueue<SQLException> failures = new LinkedBlockingQueue<>();
        List<Integer> toldOf = new CopyOnWriteArrayList<>();
        ConnectionSource source = new ConnectionSource() {
            @Override
            public Connection open() throws SQLException {
                return node.connect();
            }

            @Override
            public void failed(Connection connection, SQLException failure) {
                try {
                    toldOf.add(connection.unwrap(PGConnection.class).getBackendPID());
                }
                catch (SQLException ex) {
                    toldOf.add(-1);
                }
                failures.add(failure);
            }
        };
        NotificationListenerContainer container = track(new NotificationListenerContainer(source, FAST));
        container.start();
        Recorder orders = new Recorder();
        container.listen("orders", orders);
        int terminated = container.backendPid();
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_terminate_backend(" + terminated + ")");
        }
        assertThat(orders.nextResubscribed()).isEqualTo("orders");
        SQLException failure = failures.poll();
        assertThat((Throwable) failure).isNotNull();
        assertThat(SqlStates.isConnectionLoss(failure.getSQLState())).isTrue();
        assertThat(toldOf).first().isEqualTo(terminated);
    }

    @Test
    void backsOffWhileTheServerIsUnreachableAndLosesWhatWasSentMeanwhile(PostgresNode node) throws SQLException {
        AtomicBoolean down = new AtomicBoolean();
        List<Long> attempts = new CopyOnWriteArrayList<>();
        ConnectionSource source = () -> {
            if (down.get()) {
                attempts.add(System.nanoTime());
                throw new SQLException("server unreachable (simulated)", "08001");
            }
            return node.connect();
        };
        NotificationListenerContainer container = track(new NotificationListenerContainer(source, FAST));
        container.start();
        Recorder orders = new Recorder();
        container.listen("orders", orders);
        down.set(true);
        try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_terminate_backend(" + container.backendPid() + ")");
        }
        await().atMost(WAIT).until(() -> attempts.size() >= 5);
        // Registered during the outage: no error, and listened to once the connection is back.
        Recorder late = new Recorder();
        container.listen("late", late);
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "sent during the outage");
        }
        down.set(false);
        assertThat(orders.nextResubscribed()).isEqualTo("orders");
        assertThat(late.nextResubscribed()).isEqualTo("late");
        // Waits double from 50 ms up to 400 ms; a wait may be longer than asked, never shorter.
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < 5; i++) {
            gaps.add(TimeUnit.NANOSECONDS.toMillis(attempts.get(i) - attempts.get(i - 1)));
        }
        assertThat(gaps.get(0)).isGreaterThanOrEqualTo(50);
        assertThat(gaps.get(1)).isGreaterThanOrEqualTo(100);
        assertThat(gaps.get(2)).isGreaterThanOrEqualTo(200);
        assertThat(gaps.get(3)).isGreaterThanOrEqualTo(400);
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "after");
            notify(connection, "late", "late after");
        }
        // The notification sent while nobody listened is gone for good.
        assertThat(orders.next().payload()).isEqualTo("after");
        assertThat(late.next().payload()).isEqualTo("late after");
    }

    @Test
    void listenFailsWhenTheServerRejectsListen(@ClusterSpec(standbys = 1) PostgresCluster cluster) {
        PostgresNode standby = cluster.standbys().get(0);
        NotificationListenerContainer container = track(new NotificationListenerContainer(standby::connect, FAST));
        container.start();
        assertThatExceptionOfType(PostgresException.class).isThrownBy(() -> container.listen("orders", new Recorder()))
            .withMessageContaining("Could not LISTEN on channel \"orders\"");
        assertThat(container.isRunning()).isTrue();
        assertThat(container.backendPid()).isPositive();
    }

    @Test
    void closeStopsTheThreadEndsTheSessionAndIsIdempotent(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        Subscription subscription = container.listen("orders", orders);
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "x");
        }
        orders.next();
        Thread delivery = orders.threads.get(0);
        int pid = container.backendPid();
        container.close();
        assertThat(delivery.isAlive()).isFalse();
        assertThat(container.isRunning()).isFalse();
        assertThat(container.backendPid()).isZero();
        container.close();
        subscription.close();
        container.unlisten("orders");
        assertThatIllegalStateException().isThrownBy(() -> container.listen("orders", new Recorder()))
            .withMessageContaining("closed");
        assertThatIllegalStateException().isThrownBy(container::start);
        try (Connection connection = node.connect()) {
            await().atMost(WAIT).until(() -> !sessionExists(connection, pid));
        }
    }

    @Test
    void aListenerMayCloseTheContainer(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = started(node);
        Recorder orders = new Recorder();
        container.listen("orders", (notification) -> {
            container.close();
            orders.onNotification(notification);
        });
        try (Connection connection = node.connect()) {
            notify(connection, "orders", "stop");
        }
        orders.next();
        Thread delivery = orders.threads.get(0);
        await().atMost(WAIT).until(() -> !delivery.isAlive());
        assertThat(container.backendPid()).isZero();
    }

    @Test
    void closeBeforeStartClosesTheConnection(PostgresNode node) throws SQLException {
        NotificationListenerContainer container = track(new NotificationListenerContainer(node::connect, FAST));
        container.listen("orders", new Recorder());
        int pid = container.backendPid();
        container.close();
        assertThat(container.backendPid()).isZero();
        try (Connection connection = node.connect()) {
            await().atMost(WAIT).until(() -> !sessionExists(connection, pid));
        }
    }

    private NotificationListenerContainer started(PostgresNode node) {
        NotificationListenerContainer container = track(new NotificationListenerContainer(node::connect, FAST));
        container.start();
        return container;
    }

    private NotificationListenerContainer track(NotificationListenerContainer container) {
        this.containers.add(container);
        return container;
    }

    private static void notify(Connection connection, String channel, String payload) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select pg_notify(?, ?)")) {
            statement.setString(1, channel);
            statement.setString(2, payload);
            statement.execute();
        }
    }

    private static int backendPid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("select pg_backend_pid()")) {
            result.next();
            return result.getInt(1);
        }
    }

    private static boolean sessionExists(Connection connection, int pid) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "select count(*) from pg_stat_activity where pid = ?")) {
            statement.setInt(1, pid);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1) > 0;
            }
        }
    }

    /** Records what it receives, and on which thread. */
    static final class Recorder implements NotificationListener {

        final BlockingQueue<Notification> received = new LinkedBlockingQueue<>();

        final BlockingQueue<String> resubscribed = new LinkedBlockingQueue<>();

        final List<Thread> threads = new CopyOnWriteArrayList<>();

        final List<Thread> resubscribeThreads = new CopyOnWriteArrayList<>();

        @Override
        public void onNotification(Notification notification) {
            this.threads.add(Thread.currentThread());
            this.received.add(notification);
        }

        @Override
        public void onResubscribed(String channel) {
            this.resubscribeThreads.add(Thread.currentThread());
            this.resubscribed.add(channel);
        }

        Notification next() {
            return poll(this.received, "notification");
        }

        String nextResubscribed() {
            return poll(this.resubscribed, "onResubscribed call");
        }

        private static <T> T poll(BlockingQueue<T> queue, String what) {
            try {
                T next = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(next).as("a %s within %s", what, WAIT).isNotNull();
                return next;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for a " + what, ex);
            }
        }

    }

}
