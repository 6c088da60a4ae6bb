package io.nexs.postgres.benchmarks;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import org.jspecify.annotations.Nullable;

/**
 * Counts the round trips the current thread makes to PostgreSQL, from the messages PgJDBC logs at {@code FINEST}:
 * every {@code Sync} ends a pipeline of messages whose answers the driver then waits for, so one {@code Sync} is one
 * round trip. The statements of each round trip are taken from the {@code Parse} and {@code Query} messages, which
 * carry their text (a statement the driver has already prepared on the server is sent as a {@code Bind} of its
 * name). Logging every message is slow: open this only around the few calls to count, never while measuring.
 */
final class RoundTrips extends Handler implements AutoCloseable {

    /** The logger PgJDBC's protocol messages go to. */
    private static final Logger DRIVER = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");

    private static final String SYNC = " FE=> Sync";

    private static final String PARSE = " FE=> Parse(";

    private static final String QUERY = " FE=> SimpleQuery(query=\"";

    private static final String BIND = " FE=> Bind(stmt=";

    private final long thread = Thread.currentThread().getId();

    private final SimpleFormatter formatter = new SimpleFormatter();

    private final @Nullable Level previousLevel = DRIVER.getLevel();

    private final boolean previousParents = DRIVER.getUseParentHandlers();

    /** The messages of the current round trip. */
    private final List<String> pipeline = new ArrayList<>();

    /** The statement names parsed in the current round trip, as {@code stmt=S_1}. */
    private final Set<String> parsed = new HashSet<>();

    /** The statements of each round trip since the last {@link #take()}. */
    private final List<String> trips = new ArrayList<>();

    private RoundTrips() {
        setLevel(Level.ALL);
    }

    /**
     * Starts counting the round trips of the current thread.
     * @return the counter, to close when done
     */
    static RoundTrips start() {
        RoundTrips counter = new RoundTrips();
        DRIVER.addHandler(counter);
        DRIVER.setUseParentHandlers(false);
        DRIVER.setLevel(Level.FINEST);
        return counter;
    }

    /**
     * The round trips made since the last call, each described by its statements.
     * @return one entry per round trip, such as {@code BEGIN; insert into payment ...}
     */
    synchronized List<String> take() {
        List<String> taken = List.copyOf(this.trips);
        this.trips.clear();
        this.pipeline.clear();
        this.parsed.clear();
        return taken;
    }

    @Override
    public synchronized void publish(LogRecord record) {
        if (record.getLongThreadID() != this.thread || record.getMessage() == null) {
            return;
        }
        String message = this.formatter.formatMessage(record);
        if (message.equals(SYNC)) {
            this.trips.add(this.pipeline.isEmpty() ? "(no statement)" : String.join("; ", this.pipeline));
            this.pipeline.clear();
            this.parsed.clear();
        }
        else if (message.startsWith(PARSE)) {
            int start = message.indexOf(",query=\"");
            int end = message.lastIndexOf("\",oids=");
            if (start >= 0 && end > start) {
                this.parsed.add(message.substring(PARSE.length(), start));
                this.pipeline.add(shorten(message.substring(start + 8, end)));
            }
        }
        else if (message.startsWith(QUERY)) {
            this.pipeline.add(shorten(message.substring(QUERY.length(), Math.max(QUERY.length(),
                    message.lastIndexOf('"')))));
        }
        else if (message.startsWith(BIND)) {
            int end = message.indexOf(',');
            String name = "stmt=" + message.substring(BIND.length(), (end > 0) ? end : message.length());
            if (!name.equals("stmt=null") && !this.parsed.contains(name)) {
                // a statement prepared on the server by an earlier round trip: only its name is sent
                this.pipeline.add("(prepared " + name.substring(5) + ")");
            }
        }
    }

    private static String shorten(String statement) {
        String flat = statement.replaceAll("\\s+", " ").strip();
        return (flat.length() <= 48) ? flat : flat.substring(0, 45) + "...";
    }

    @Override
    public void flush() {
    }

    /** Stops counting and puts the driver's logging back as it was. */
    @Override
    public void close() {
        DRIVER.removeHandler(this);
        DRIVER.setLevel(this.previousLevel);
        DRIVER.setUseParentHandlers(this.previousParents);
    }

}
