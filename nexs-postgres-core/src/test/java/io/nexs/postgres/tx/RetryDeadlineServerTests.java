package io.nexs.postgres.tx;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.Topologies;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The deadline of a retried call on a real server: a write that finds no primary would wait the write-wait
 * timeout in each of its attempts; the deadline ends the whole call instead.
 */
class RetryDeadlineServerTests {

    @Test
    void aWriteWaitingForAPrimaryFailsAtTheCallsDeadlineNotAfterEveryAttemptsWait() {
        // five attempts of up to 10 s each for a primary (Topologies.fast()) would take close to a minute
        Retrier retrier = new Retrier(RetrySettings.defaults()
            .withMaxAttempts(5)
            .withBackOff(Duration.ofMillis(50), 2.0, Duration.ofMillis(200), Duration.ZERO)
            .withTimeout(Duration.ofMillis(1500)), TransientErrors.defaults());
        try (PostgresNode node = PostgresNode.start();
                DefaultPostgresProvider provider = new DefaultPostgresProvider(
                        Topologies.start(List.of(Topologies.definition(node)), Topologies.fast()),
                        new RowMappers(UnmappedColumns.IGNORE, null), 100, HookManager.none(), retrier)) {
            provider.exec("create table deadline_orders (id int primary key)");
            node.stop();
            await().atMost(Duration.ofSeconds(10))
                .until(() -> provider.topology().node(node.name()).state() == NodeState.UNHEALTHY);

            long start = System.nanoTime();
            Throwable failure = catchThrowable(() -> provider.exec("insert into deadline_orders values (1)"));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1400)).isLessThan(Duration.ofSeconds(4));
            // never sent: a write that waited for a primary stays transient, and says the deadline stopped it
            assertThat(failure).isInstanceOf(FailoverInProgressException.class);
            assertThat(retrier.transientErrors().isTransient(failure)).isTrue();
            Throwable[] suppressed = failure.getSuppressed();
            assertThat(suppressed).isNotEmpty();
            assertThat(suppressed[suppressed.length - 1]).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("deadline of 1500 ms");
        }
    }

}
