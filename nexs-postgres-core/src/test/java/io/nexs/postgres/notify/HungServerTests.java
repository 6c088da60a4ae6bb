package io.nexs.postgres.notify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.nexs.postgres.notify.NotificationListenerContainerTests.Recorder;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A connection that dies silently (the server stops answering, nothing closes the socket) is found by the probe.
 * A class of its own because it freezes the whole server.
 */
@ExtendWith(PostgresExtension.class)
class HungServerTests {

    private static final Logger logger = LoggerFactory.getLogger(HungServerTests.class);

    @Test
    void theProbeFindsASilentlyDeadConnectionAndListeningResumesWhenTheServerAnswersAgain(PostgresNode node)
            throws SQLException {
        ListenSettings settings = new ListenSettings(Duration.ofMillis(100), Duration.ofMillis(300),
                Duration.ofMillis(500), Duration.ofMillis(50), Duration.ofMillis(200));
        try (NotificationListenerContainer container = new NotificationListenerContainer(node::connect, settings)) {
            container.start();
            Recorder orders = new Recorder();
            container.listen("orders", orders);
            int before = container.backendPid();
            long start = System.nanoTime();
            node.hang();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> container.backendPid() == 0);
                logger.info("The probe found the hung connection after {} ms",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            finally {
                node.resume();
            }
            assertThat(orders.nextResubscribed()).isEqualTo("orders");
            assertThat(container.backendPid()).isPositive().isNotEqualTo(before);
            try (Connection connection = node.connect();
                    PreparedStatement statement = connection.prepareStatement("select pg_notify('orders', ?)")) {
                statement.setString(1, "after");
                statement.execute();
            }
            assertThat(orders.next().payload()).isEqualTo("after");
        }
    }

}
