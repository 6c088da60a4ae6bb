package io.nexs.postgres.topology;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands {@link TopologyEvent events} to the listeners on a thread of its own, in the order they were queued, so a
 * slow listener never holds up a check or a borrower. A listener that throws is logged and the others still hear.
 */
final class TopologyEvents {

    private static final Logger logger = LoggerFactory.getLogger(TopologyEvents.class);

    private final List<Consumer<? super TopologyEvent>> listeners = new CopyOnWriteArrayList<>();

    private final ExecutorService executor = Executors.newSingleThreadExecutor((task) -> {
        Thread thread = new Thread(task, "nexs-postgres-topology-events");
        thread.setDaemon(true);
        return thread;
    });

    void addListener(Consumer<? super TopologyEvent> listener) {
        this.listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Queues events for the listeners.
     * @param events the events, in the order they happened
     */
    void publish(List<TopologyEvent> events) {
        if (events.isEmpty() || this.listeners.isEmpty()) {
            return;
        }
        this.executor.execute(() -> {
            for (TopologyEvent event : events) {
                for (Consumer<? super TopologyEvent> listener : this.listeners) {
                    try {
                        listener.accept(event);
                    }
                    catch (RuntimeException ex) {
                        logger.warn("A topology event listener failed on {}", event, ex);
                    }
                }
            }
        });
    }

    /** Delivers what is queued, then stops. */
    void close() {
        this.executor.shutdown();
    }

}
