package io.nexs.postgres.notify;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import io.nexs.postgres.error.PostgresException;
import io.nexs.postgres.error.SqlStates;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to PostgreSQL notifications ({@code LISTEN}/{@code NOTIFY}) on one dedicated connection and delivers
 * them to {@link NotificationListener}s on a thread of its own, named {@value #THREAD_NAME}.
 *
 * <p>{@link #listen(String, NotificationListener)} issues {@code LISTEN} for the first listener of a channel before
 * it returns, so a notification sent after it returned is delivered. The connection is opened by {@link #start()}
 * or by the first {@code listen}, whichever comes first; notifications are delivered once the container is
 * started. Channel names are always quoted, so they are case-sensitive and match {@code pg_notify(channel, ...)}
 * exactly.
 *
 * <p>When the connection fails (the server restarted or terminated the backend, the network broke, or a
 * {@code select 1} probe after a quiet {@link ListenSettings#probeInterval()} found it dead), the container closes
 * it, reconnects with a doubling back-off, issues {@code LISTEN} again for every channel that has listeners, and
 * then calls {@link NotificationListener#onResubscribed(String)} of each listener.
 *
 * <p><strong>What is lost during the gap:</strong> PostgreSQL queues notifications only for sessions that are
 * listening at the time. Notifications sent while the connection is down, from the moment it dropped until the new
 * {@code LISTEN} took effect, are never delivered and cannot be recovered; nor can those the old connection had
 * received but not yet handed over when it failed. {@code onResubscribed} is the place to re-read whatever state
 * the notifications were keeping in step.
 *
 * <p>Thread-safe. Delivery is sequential: one notification at a time, to the listeners of its channel in the order
 * they were registered. A listener that throws is logged and does not stop delivery to the others.
 */
public final class NotificationListenerContainer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(NotificationListenerContainer.class);

    /** The name of the delivery thread. */
    public static final String THREAD_NAME = "nexs-postgres-notify";

    private static final PGNotification[] NONE = new PGNotification[0];

    /** How long close waits for the delivery thread after aborting the connection under it. */
    private static final long ABORT_JOIN_MILLIS = 5_000;

    /** Slack over the poll timeout for the delivery thread to notice close on its own. */
    private static final long JOIN_SLACK_MILLIS = 500;

    private final ConnectionSource source;

    private final ListenSettings settings;

    /**
     * Serializes every use of the connection, which PgJDBC does not make thread-safe: the delivery thread holds
     * it around each poll and probe, callers of listen/unlisten around their command. Fair, so a caller waiting
     * for LISTEN gets the connection when the current poll ends instead of losing the race to the next poll.
     */
    private final ReentrantLock lock = new ReentrantLock(true);

    /** Channel to its listeners; written under the lock, read without it by the delivery thread. */
    private final Map<String, List<Registration>> channels = new ConcurrentHashMap<>();

    private final AtomicBoolean closed = new AtomicBoolean();

    /** Wakes the delivery thread out of a reconnect back-off when the container closes. */
    private final CountDownLatch closeSignal = new CountDownLatch(1);

    /** Volatile so that close can abort it without the lock when the delivery thread is stuck. */
    private volatile @Nullable Connection connection;

    private @Nullable PGConnection pgConnection;

    private volatile int backendPid;

    /** Whether a connection was ever tried: until then the first listen opens it. Guarded by the lock. */
    private boolean attempted;

    /** Whether listening is broken and awaits a reconnect. Guarded by the lock. */
    private boolean lost;

    /** When the connection was lost or its first opening failed, for the log of the gap. Guarded by the lock. */
    private long lostAtNanos;

    /** When the connection last proved alive: a notification, a command or a probe went through. */
    private volatile long lastActivityNanos;

    private volatile @Nullable Thread thread;

    /**
     * Creates a container with {@link ListenSettings#defaults()}; nothing is opened before {@link #start()} or the
     * first {@link #listen(String, NotificationListener)}.
     * @param source opens the dedicated connection, and a new one after each failure
     */
    public NotificationListenerContainer(ConnectionSource source) {
        this(source, ListenSettings.defaults());
    }

    /**
     * Creates a container; nothing is opened before {@link #start()} or the first
     * {@link #listen(String, NotificationListener)}.
     * @param source opens the dedicated connection, and a new one after each failure
     * @param settings poll, probe and reconnect timing
     */
    public NotificationListenerContainer(ConnectionSource source, ListenSettings settings) {
        this.source = Objects.requireNonNull(source, "source");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Checks a channel name: not null or blank, no control characters, at most 63 bytes in UTF-8 (PostgreSQL's
     * identifier limit). Any other character is fine, double quotes included: names are always quoted.
     * @param channel the name to check
     * @return the name, unchanged
     * @throws IllegalArgumentException saying what is wrong and the rule
     */
    public static String validateChannel(@Nullable String channel) {
        return ChannelNames.validateChannel(channel);
    }

    /**
     * Checks a payload for {@code pg_notify}: not null, no NUL character, fewer than 8000 bytes in UTF-8.
     * @param payload the payload to check
     * @return the payload, unchanged
     * @throws IllegalArgumentException saying what is wrong and the rule; the message never shows the payload
     */
    public static String validatePayload(@Nullable String payload) {
        return ChannelNames.validatePayload(payload);
    }

    /**
     * Opens the connection unless a {@code listen} already did, and starts delivery. A server that cannot be
     * reached does not fail the start: it is logged and the delivery thread keeps trying. A no-op when running.
     * @throws IllegalStateException when the container is closed
     */
    public void start() {
        this.lock.lock();
        try {
            ensureOpen();
            if (this.thread != null) {
                return;
            }
            if (!this.attempted) {
                connectFirst();
            }
            Thread delivery = new Thread(this::deliver, THREAD_NAME);
            delivery.setDaemon(true);
            this.thread = delivery;
            delivery.start();
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Whether the container is started, not closed, and its delivery thread alive; it is also running while it
     * reconnects.
     * @return whether delivery runs
     */
    public boolean isRunning() {
        Thread delivery = this.thread;
        return delivery != null && delivery.isAlive() && !this.closed.get();
    }

    /**
     * Registers a listener on a channel. The first listener of a channel issues {@code LISTEN} before this returns,
     * so that a notification sent afterwards is delivered. While the connection is down the listener is still
     * registered; once the container is started, it is listened to when the connection is back, and then told so
     * through {@link NotificationListener#onResubscribed(String)}.
     * @param channel the channel, case-sensitive, see {@link #validateChannel(String)}
     * @param listener the listener; may be registered more than once, each registration has its own subscription
     * @return the subscription, whose {@code close} removes this registration
     * @throws IllegalArgumentException when the channel name is invalid
     * @throws IllegalStateException when the container is closed
     * @throws PostgresException when the server rejects {@code LISTEN} on a working connection (on a standby,
     * for instance); the listener is then not registered
     */
    public Subscription listen(String channel, NotificationListener listener) {
        String name = validateChannel(channel);
        Objects.requireNonNull(listener, "listener");
        Registration registration = new Registration(name, listener);
        this.lock.lock();
        try {
            ensureOpen();
            if (!this.attempted) {
                connectFirst();
            }
            List<Registration> registrations = this.channels.computeIfAbsent(name,
                    (key) -> new CopyOnWriteArrayList<>());
            registrations.add(registration);
            if (registrations.size() == 1 && this.connection != null) {
                listenOnServer(registration);
            }
            return registration;
        }
        finally {
            this.lock.unlock();
        }
    }

    private void listenOnServer(Registration registration) {
        try {
            execute("LISTEN " + ChannelNames.quote(registration.channel));
        }
        catch (SQLException ex) {
            if (SqlStates.isConnectionLoss(ex.getSQLState())) {
                // The delivery thread reconnects and listens on every registered channel, this one included.
                connectionLost(ex);
                return;
            }
            remove(registration);
            throw new PostgresException("Could not LISTEN on channel " + ChannelNames.quote(registration.channel)
                    + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Removes every listener of a channel and issues {@code UNLISTEN}. A no-op when the channel has no listeners
     * or the container is closed.
     * @param channel the channel
     * @throws IllegalArgumentException when the channel name is invalid
     */
    public void unlisten(String channel) {
        String name = validateChannel(channel);
        this.lock.lock();
        try {
            List<Registration> registrations = this.channels.remove(name);
            if (registrations == null) {
                return;
            }
            registrations.forEach((registration) -> registration.active = false);
            unlistenOnServer(name);
        }
        finally {
            this.lock.unlock();
        }
    }

    /** Removes one registration; its channel's last one also issues UNLISTEN. The lock must be held. */
    private void remove(Registration registration) {
        registration.active = false;
        List<Registration> registrations = this.channels.get(registration.channel);
        if (registrations == null || !registrations.remove(registration) || !registrations.isEmpty()) {
            return;
        }
        this.channels.remove(registration.channel);
        unlistenOnServer(registration.channel);
    }

    private void unlistenOnServer(String channel) {
        if (this.connection == null) {
            // The next connection listens only on channels that have listeners.
            return;
        }
        try {
            execute("UNLISTEN " + ChannelNames.quote(channel));
        }
        catch (SQLException ex) {
            if (SqlStates.isConnectionLoss(ex.getSQLState())) {
                connectionLost(ex);
            }
            else {
                // Harmless: notifications of a channel without listeners are dropped on delivery.
                logger.warn("Could not UNLISTEN channel {}; its notifications are ignored: {}", channel,
                        ex.getMessage());
            }
        }
    }

    /**
     * Stops delivery and closes the connection. Waits for the delivery thread to finish the notification it is
     * delivering, up to the poll timeout and a little more; after that the connection is aborted under it and the
     * thread interrupted. Idempotent. Called from a listener, it returns at once and delivery stops after that
     * listener returns.
     */
    @Override
    public void close() {
        if (!this.closed.compareAndSet(false, true)) {
            return;
        }
        this.closeSignal.countDown();
        Thread delivery = this.thread;
        if (delivery == null) {
            this.lock.lock();
            try {
                closeConnection();
            }
            finally {
                this.lock.unlock();
            }
            logger.debug("Closed the notification listener container");
            return;
        }
        if (delivery == Thread.currentThread()) {
            // The delivery loop sees the flag once the listener returns, and closes the connection itself.
            return;
        }
        boolean interrupted = false;
        try {
            delivery.join(this.settings.pollTimeout().toMillis() + JOIN_SLACK_MILLIS);
            if (delivery.isAlive()) {
                // Stuck in a listener or on a silent socket: closing the socket ends any blocking read.
                abortConnection();
                delivery.interrupt();
                delivery.join(ABORT_JOIN_MILLIS);
            }
        }
        catch (InterruptedException ex) {
            interrupted = true;
        }
        if (delivery.isAlive()) {
            logger.warn("The {} thread did not stop when the container closed; it ends when the listener it is "
                    + "calling returns", THREAD_NAME);
        }
        else {
            logger.debug("Closed the notification listener container");
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The process id of the backend the container listens on, for tests and diagnostics.
     * @return the pid, or 0 while there is no connection
     */
    int backendPid() {
        return this.backendPid;
    }

    /**
     * What the server says this session listens on ({@code pg_listening_channels()}), for tests.
     * @return the channel names, empty while there is no connection
     * @throws SQLException when the query fails
     */
    Set<String> serverChannels() throws SQLException {
        this.lock.lock();
        try {
            Connection current = this.connection;
            Set<String> names = new LinkedHashSet<>();
            if (current == null) {
                return names;
            }
            try (Statement statement = current.createStatement();
                    ResultSet result = statement.executeQuery("select pg_listening_channels()")) {
                while (result.next()) {
                    names.add(result.getString(1));
                }
            }
            return names;
        }
        finally {
            this.lock.unlock();
        }
    }

    private void ensureOpen() {
        if (this.closed.get()) {
            throw new IllegalStateException("The notification listener container is closed");
        }
    }

    /**
     * The first opening, on the caller's thread, before any listener is registered (each listen opens it first),
     * so a server that rejects LISTEN fails that listen rather than this. The lock must be held.
     */
    private void connectFirst() {
        this.attempted = true;
        try {
            install(prepare(this.source.open()));
            logger.debug("Opened the LISTEN connection, backend {}", this.backendPid);
        }
        catch (SQLException ex) {
            this.lost = true;
            this.lostAtNanos = System.nanoTime();
            logger.warn("Could not open the connection for LISTEN; notifications are not delivered until it opens, "
                    + "retried once the container runs: {}", ex.getMessage());
        }
    }

    /** Turns a new connection into a listening one; touches no shared state, so it runs without the lock. */
    private Opened prepare(Connection opened) throws SQLException {
        try {
            // LISTEN inside a transaction would take effect only at commit.
            opened.setAutoCommit(true);
            // Bounds the probe and LISTEN/UNLISTEN; a poll sets its own timeout and restores this one.
            opened.setNetworkTimeout(Runnable::run, (int) this.settings.probeTimeout().toMillis());
            if (!opened.isWrapperFor(PGConnection.class)) {
                throw new SQLException("LISTEN needs a PgJDBC connection, not " + opened.getClass().getName());
            }
            return new Opened(opened, opened.unwrap(PGConnection.class));
        }
        catch (SQLException | RuntimeException ex) {
            closeQuietly(opened);
            throw ex;
        }
    }

    /** Listens on every registered channel and makes the connection current. The lock must be held. */
    private void install(Opened opened) throws SQLException {
        try (Statement statement = opened.connection().createStatement()) {
            for (String channel : this.channels.keySet()) {
                statement.execute("LISTEN " + ChannelNames.quote(channel));
            }
        }
        catch (SQLException | RuntimeException ex) {
            closeQuietly(opened.connection());
            throw ex;
        }
        this.connection = opened.connection();
        this.pgConnection = opened.pg();
        this.backendPid = opened.pg().getBackendPID();
        this.lastActivityNanos = System.nanoTime();
    }

    private void execute(String sql) throws SQLException {
        Connection current = Objects.requireNonNull(this.connection);
        try (Statement statement = current.createStatement()) {
            statement.execute(sql);
        }
        this.lastActivityNanos = System.nanoTime();
    }

    /** Drops a failed connection; the delivery thread reconnects. The lock must be held. */
    private void connectionLost(Exception cause) {
        int pid = this.backendPid;
        Connection current = this.connection;
        if (current != null && cause instanceof SQLException failure) {
            try {
                this.source.failed(current, failure);
            }
            catch (RuntimeException ex) {
                logger.debug("The connection source failed to take a lost connection's failure", ex);
            }
        }
        closeConnection();
        if (this.lost) {
            return;
        }
        this.lost = true;
        this.lostAtNanos = System.nanoTime();
        logger.warn("Lost the LISTEN connection (backend {}); notifications on {} channel(s) sent until it is back "
                + "are not delivered: {}", pid, this.channels.size(), cause.getMessage());
        logger.debug("LISTEN connection failure", cause);
    }

    /** The loop of the delivery thread. */
    private void deliver() {
        long delay = this.settings.reconnectInitialDelay().toMillis();
        int attempts = 0;
        try {
            while (!this.closed.get()) {
                if (this.connection == null) {
                    // The first attempt after a loss is immediate: a terminated backend or a dropped network
                    // path is usually back at once. Later attempts back off.
                    if (attempts > 0) {
                        if (backOff(delay)) {
                            break;
                        }
                        delay = Math.min(delay * 2, this.settings.reconnectMaxDelay().toMillis());
                    }
                    attempts++;
                    if (reconnect(attempts)) {
                        attempts = 0;
                        delay = this.settings.reconnectInitialDelay().toMillis();
                    }
                    continue;
                }
                PGNotification[] batch = poll();
                if (batch.length > 0) {
                    dispatch(batch);
                }
                else if (System.nanoTime() - this.lastActivityNanos >= this.settings.probeInterval().toNanos()) {
                    probe();
                }
            }
        }
        catch (Throwable ex) {
            logger.error("The {} thread failed; notifications are no longer delivered", THREAD_NAME, ex);
        }
        finally {
            this.lock.lock();
            try {
                closeConnection();
            }
            finally {
                this.lock.unlock();
            }
        }
    }

    /** Waits before the next reconnect attempt; true when the container closed meanwhile. */
    private boolean backOff(long delayMillis) {
        try {
            return this.closeSignal.await(delayMillis, TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            // Close interrupts only after setting the flag; any other interrupt is stray and must not end delivery.
            return this.closed.get();
        }
    }

    private PGNotification[] poll() {
        this.lock.lock();
        try {
            PGConnection current = this.pgConnection;
            if (current == null) {
                return NONE;
            }
            PGNotification[] batch = current.getNotifications((int) this.settings.pollTimeout().toMillis());
            if (batch == null || batch.length == 0) {
                return NONE;
            }
            this.lastActivityNanos = System.nanoTime();
            return batch;
        }
        catch (SQLException | RuntimeException ex) {
            // A runtime failure of the driver is treated like a lost connection rather than ending delivery.
            connectionLost(ex);
            return NONE;
        }
        finally {
            this.lock.unlock();
        }
    }

    /** A cheap round trip after a quiet spell: a silently dead connection fails it within the network timeout. */
    private void probe() {
        this.lock.lock();
        try {
            if (this.connection != null) {
                execute("select 1");
            }
        }
        catch (SQLException | RuntimeException ex) {
            connectionLost(ex);
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * One reconnect attempt: opens outside the lock, so that listen and unlisten callers are not held up by a slow
     * server, then listens on the channels registered at that moment.
     */
    private boolean reconnect(int attempt) {
        Opened prepared;
        try {
            prepared = prepare(this.source.open());
        }
        catch (SQLException ex) {
            logger.debug("Reconnect attempt {} for LISTEN failed: {}", attempt, ex.getMessage());
            return false;
        }
        List<Registration> resubscribed = new ArrayList<>();
        long gapNanos;
        int channelCount;
        int pid;
        this.lock.lock();
        try {
            if (this.closed.get() || this.connection != null) {
                closeQuietly(prepared.connection());
                return this.connection != null;
            }
            try {
                install(prepared);
            }
            catch (SQLException ex) {
                logger.debug("Reconnect attempt {} for LISTEN failed: {}", attempt, ex.getMessage());
                return false;
            }
            this.lost = false;
            gapNanos = System.nanoTime() - this.lostAtNanos;
            channelCount = this.channels.size();
            pid = this.backendPid;
            this.channels.values().forEach(resubscribed::addAll);
        }
        finally {
            this.lock.unlock();
        }
        logger.info("Listening again on {} channel(s) on backend {} after {} ms without a connection ({} "
                + "attempt(s))", channelCount, pid, TimeUnit.NANOSECONDS.toMillis(gapNanos), attempt);
        for (Registration registration : resubscribed) {
            if (registration.active && !this.closed.get()) {
                callResubscribed(registration);
            }
        }
        return true;
    }

    private void dispatch(PGNotification[] batch) {
        for (PGNotification received : batch) {
            if (this.closed.get()) {
                return;
            }
            List<Registration> registrations = this.channels.get(received.getName());
            if (registrations == null) {
                // Unlistened while it was in flight.
                continue;
            }
            String payload = received.getParameter();
            Notification notification = new Notification(received.getName(), payload == null ? "" : payload,
                    received.getPID());
            for (Registration registration : registrations) {
                if (registration.active) {
                    callListener(registration, notification);
                }
            }
        }
    }

    private static void callListener(Registration registration, Notification notification) {
        try {
            registration.listener.onNotification(notification);
        }
        catch (VirtualMachineError ex) {
            throw ex;
        }
        catch (Throwable ex) {
            logger.error("Listener {} of channel {} failed on a notification; delivery goes on",
                    registration.listener.getClass().getName(), registration.channel, ex);
        }
        clearStrayInterrupt();
    }

    private static void callResubscribed(Registration registration) {
        try {
            registration.listener.onResubscribed(registration.channel);
        }
        catch (VirtualMachineError ex) {
            throw ex;
        }
        catch (Throwable ex) {
            logger.error("Listener {} of channel {} failed in onResubscribed; delivery goes on",
                    registration.listener.getClass().getName(), registration.channel, ex);
        }
        clearStrayInterrupt();
    }

    /** A listener that leaves the interrupt flag set must not make the next wait of the loop fail. */
    private static void clearStrayInterrupt() {
        if (Thread.interrupted()) {
            logger.debug("A listener left the interrupt flag of the {} thread set; cleared", THREAD_NAME);
        }
    }

    /** The lock must be held. */
    private void closeConnection() {
        Connection current = this.connection;
        this.connection = null;
        this.pgConnection = null;
        this.backendPid = 0;
        if (current != null) {
            closeQuietly(current);
        }
    }

    private void abortConnection() {
        Connection current = this.connection;
        if (current == null) {
            return;
        }
        try {
            current.abort(Runnable::run);
        }
        catch (SQLException | RuntimeException ex) {
            logger.debug("Could not abort the LISTEN connection", ex);
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        }
        catch (SQLException | RuntimeException ex) {
            logger.debug("Could not close the LISTEN connection", ex);
        }
    }

    @Override
    public String toString() {
        return "NotificationListenerContainer[" + this.channels.size() + " channel(s), backend " + this.backendPid
                + (this.closed.get() ? ", closed]" : "]");
    }

    /** A new connection and its PgJDBC view. */
    private record Opened(Connection connection, PGConnection pg) {
    }

    /** One listener on one channel. */
    private final class Registration implements Subscription {

        private final String channel;

        private final NotificationListener listener;

        private volatile boolean active = true;

        Registration(String channel, NotificationListener listener) {
            this.channel = channel;
            this.listener = listener;
        }

        @Override
        public String channel() {
            return this.channel;
        }

        @Override
        public void close() {
            if (!this.active) {
                return;
            }
            NotificationListenerContainer.this.lock.lock();
            try {
                remove(this);
            }
            finally {
                NotificationListenerContainer.this.lock.unlock();
            }
        }

        @Override
        public String toString() {
            return "Subscription[" + this.channel + "]";
        }

    }

}
