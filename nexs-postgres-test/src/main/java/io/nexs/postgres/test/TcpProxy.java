package io.nexs.postgres.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy inside the JVM for injecting network faults between a client and a server, typically between PgJDBC
 * and a {@link PostgresNode}. It listens on {@code 127.0.0.1} on a free port and forwards bytes both ways; faults
 * are switched on and off at run time, from any thread:
 *
 * <ul>
 * <li>{@link #latency(Duration)} delays every forwarded chunk, in both directions;</li>
 * <li>{@link #dropNewConnections(boolean)} accepts new connections and closes them at once;</li>
 * <li>{@link #refuseNewConnections(boolean)} stops listening, so that connection attempts are refused;</li>
 * <li>{@link #cutConnections()} resets every open connection now;</li>
 * <li>{@link #blackHole(boolean)} forwards nothing and closes nothing, like a hung server or a network
 * partition.</li>
 * </ul>
 *
 * <p>Each accepted connection is served by two daemon platform threads named
 * {@code nexs-proxy-<port>-<n>-to-server} and {@code nexs-proxy-<port>-<n>-to-client}; the listening socket by one
 * named {@code nexs-proxy-<port>-accept}. {@link #close()} stops listening and closes every connection.
 *
 * <pre>{@code
 * try (PostgresNode node = PostgresNode.start();
 *      TcpProxy proxy = TcpProxy.forNode(node);
 *      Connection connection = DriverManager.getConnection(proxy.jdbcUrl("postgres"), "postgres", null)) {
 *     proxy.latency(Duration.ofMillis(200));
 *     ...
 * }
 * }</pre>
 */
public final class TcpProxy implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(TcpProxy.class);

    private static final String HOST = "127.0.0.1";

    private static final int BACKLOG = 50;

    private static final int BUFFER_SIZE = 64 * 1024;

    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private static final int ERROR_PAUSE_MILLIS = 50;

    private static final long ACCEPT_THREAD_EXIT_MILLIS = 5_000;

    /** Where new connections go: host and port together, so a retarget is never seen half done. */
    private volatile InetSocketAddress target;


    private final int port;

    /** Guards the waits of the forwarding threads; notified whenever a fault setting or a connection changes. */
    private final Object monitor = new Object();

    private final Set<ProxiedConnection> connections = ConcurrentHashMap.newKeySet();

    private final AtomicInteger connectionCounter = new AtomicInteger();

    private volatile Duration latency = Duration.ZERO;

    private volatile boolean dropNewConnections;

    private volatile boolean blackHole;

    private volatile boolean closed;

    /** The listening socket; {@code null} while new connections are refused and after {@link #close()}. */
    private @Nullable ServerSocket listener;

    /** The thread accepting on {@link #listener}; guarded by {@code this} like it. */
    private @Nullable Thread acceptThread;

    private TcpProxy(String targetHost, int targetPort) {
        this.target = InetSocketAddress.createUnresolved(targetHost, targetPort);
        ServerSocket socket = listen(0);
        this.port = socket.getLocalPort();
        this.listener = socket;
        this.acceptThread = startAcceptThread(socket);
        logger.info("Started TCP proxy {} -> {}:{}", address(), targetHost, targetPort);
    }

    /**
     * Starts a proxy to {@code targetHost:targetPort}, listening on {@code 127.0.0.1} on a free port. The target is
     * connected to for each accepted connection, so it need not be up yet; while it is down, accepted connections
     * are closed at once.
     *
     * @throws IllegalArgumentException if the port is not between 1 and 65535
     * @throws UncheckedIOException if no port can be listened on
     */
    public static TcpProxy start(String targetHost, int targetPort) {
        if (targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("target port " + targetPort + " is not between 1 and 65535");
        }
        return new TcpProxy(targetHost, targetPort);
    }

    /**
     * Starts a proxy to a node's {@link PostgresNode#host() host} and {@link PostgresNode#port() port}. The node
     * keeps its port across {@link PostgresNode#restart() restarts}, so the proxy keeps working after them.
     *
     * @throws IllegalArgumentException if the node has never been started (it has no port yet)
     */
    public static TcpProxy forNode(PostgresNode node) {
        if (node.port() == 0) {
            throw new IllegalArgumentException("node " + node.name() + " has no port: it has never been started");
        }
        return start(node.host(), node.port());
    }

    /** {@code 127.0.0.1}: the proxy listens on the loopback interface only. */
    public String host() {
        return HOST;
    }

    /** The port the proxy listens on; it stays the same for the proxy's whole life. */
    public int port() {
        return this.port;
    }

    /** {@code 127.0.0.1:PORT}, the address clients connect to. */
    public String address() {
        return HOST + ":" + this.port;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres}, the proxy's address as a PgJDBC URL. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/DATABASE}, a PgJDBC URL of a database behind the proxy. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + this.port + "/" + database;
    }

    /** The host the proxy forwards to. */
    public String targetHost() {
        return this.target.getHostString();
    }

    /** The port the proxy forwards to. */
    public int targetPort() {
        return this.target.getPort();
    }

    /**
     * Sends new connections to another server from now on; open ones stay with the old one (cut them with
     * {@link #cutConnections()}). For an address that comes to lead elsewhere, such as an old primary rebuilt as a
     * replica, or a virtual IP moved by a cluster manager.
     *
     * @throws IllegalArgumentException if the port is not between 1 and 65535
     */
    public void retarget(String targetHost, int targetPort) {
        if (targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("target port " + targetPort + " is not between 1 and 65535");
        }
        this.target = InetSocketAddress.createUnresolved(targetHost, targetPort);
        logger.info("TCP proxy {} now forwards new connections to {}:{}", address(), targetHost, targetPort);
    }

    /** {@link #retarget(String, int)} to a node's host and port. */
    public void retarget(PostgresNode node) {
        retarget(node.host(), node.port());
    }

    /**
     * Delays every forwarded chunk of bytes by {@code latency}, in both directions, so that a request/response round
     * trip takes at least twice as long. {@link Duration#ZERO} (the default) switches the delay off. A chunk waits
     * from the moment the proxy reads it; a change applies to chunks still waiting too. Chunks of one direction
     * are delayed one after the other, so a bulk transfer of many chunks takes a multiple of the latency: this
     * models round trips, not bandwidth.
     *
     * @throws IllegalArgumentException if {@code latency} is negative
     */
    public void latency(Duration latency) {
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative: " + latency);
        }
        synchronized (this.monitor) {
            this.latency = latency;
            this.monitor.notifyAll();
        }
        logger.info("TCP proxy {}: latency {} ms", address(), latency.toMillis());
    }

    /** The delay set with {@link #latency(Duration)}; {@link Duration#ZERO} when off. */
    public Duration latency() {
        return this.latency;
    }

    /**
     * While {@code true}, new connections are accepted and closed at once, without connecting to the target: the
     * client's TCP connect succeeds but the connection is closed before the server says anything, so PgJDBC fails
     * during startup ({@code The connection attempt failed.}, SQLState {@code 08001}). Open connections are not
     * affected. This takes precedence over {@link #blackHole(boolean)} for new connections.
     */
    public void dropNewConnections(boolean drop) {
        this.dropNewConnections = drop;
        logger.info("TCP proxy {}: dropping new connections {}", address(), drop ? "on" : "off");
    }

    /** Whether {@link #dropNewConnections(boolean)} is on. */
    public boolean isDroppingNewConnections() {
        return this.dropNewConnections;
    }

    /**
     * {@code true} closes the listening socket, so that connection attempts are refused as if no server listened
     * (PgJDBC: {@code Connection to 127.0.0.1:PORT refused}, SQLState {@code 08001}); open connections are not
     * affected. {@code false} listens again on the same port. No-op if the proxy is already in the requested
     * state.
     *
     * <p>While the proxy refuses, its port is free and any process may take it; this JVM's {@link PostgresNode}s
     * do not avoid it either.
     *
     * @throws IllegalStateException if the proxy is closed, or if the port cannot be listened on again (another
     *     socket took it meanwhile)
     */
    public synchronized void refuseNewConnections(boolean refuse) {
        ensureOpen();
        if (refuse == (this.listener == null)) {
            return;
        }
        if (refuse) {
            stopListening();
        }
        else {
            ServerSocket socket;
            try {
                socket = listen(this.port);
            }
            catch (UncheckedIOException ex) {
                throw new IllegalStateException("TCP proxy cannot listen on " + address() + " again, another socket "
                        + "may have taken the port while it refused connections: " + ex.getCause(), ex.getCause());
            }
            this.listener = socket;
            this.acceptThread = startAcceptThread(socket);
        }
        logger.info("TCP proxy {}: refusing new connections {}", address(), refuse ? "on" : "off");
    }

    /** Whether {@link #refuseNewConnections(boolean)} is on (also true after {@link #close()}). */
    public synchronized boolean isRefusingNewConnections() {
        return this.listener == null;
    }

    /**
     * Resets every open proxied connection now: both of its sockets are closed with an RST, so the client's next
     * read or write fails (PgJDBC: an I/O error with SQLState {@code 08006}) and the server ends the session.
     * New connections are served as usual.
     *
     * @return how many connections were cut
     */
    public int cutConnections() {
        int cut = 0;
        for (ProxiedConnection connection : new ArrayList<>(this.connections)) {
            if (connection.close(true)) {
                cut++;
            }
        }
        logger.info("TCP proxy {}: cut {} connections", address(), cut);
        return cut;
    }

    /**
     * While {@code true}, nothing is forwarded in either direction and nothing is closed, as with a hung server
     * or a network partition: clients block on their reads until their own timeouts (PgJDBC's
     * {@code socketTimeout} or {@link java.sql.Connection#setNetworkTimeout network timeout}, for startup its
     * {@code loginTimeout}) give up. New connections are accepted, but not connected to the target and never
     * answered. The end of a connection (a client or server closing its socket) is held back too.
     *
     * <p>Held bytes are kept, not discarded: when the black hole is switched off, they are delivered (after the
     * {@link #latency(Duration) latency}, counted from that moment), new connections accepted meanwhile are
     * connected to the target, and traffic resumes, like TCP after a short partition heals. Whether such a
     * connection is still of use depends on its endpoints: a client that timed out has usually closed it (the
     * proxy then closes the server side once it has delivered the held bytes) or will find the session in an
     * unexpected state, so connections that were open during a black hole are best considered dead. Bytes the
     * proxy was writing at the very moment the black hole started may still go through.
     */
    public void blackHole(boolean on) {
        synchronized (this.monitor) {
            this.blackHole = on;
            this.monitor.notifyAll();
        }
        logger.info("TCP proxy {}: black hole {}", address(), on ? "on" : "off");
    }

    /** Whether {@link #blackHole(boolean)} is on. */
    public boolean isBlackHole() {
        return this.blackHole;
    }

    /**
     * How many accepted connections are open: forwarded ones, and ones waiting for the end of a
     * {@link #blackHole(boolean) black hole}. A connection counts until both of its sides are closed.
     */
    public int openConnections() {
        return this.connections.size();
    }

    /** Stops listening and closes every open connection (as {@link #cutConnections()} does). Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            stopListening();
        }
        int cut = 0;
        for (ProxiedConnection connection : new ArrayList<>(this.connections)) {
            if (connection.close(true)) {
                cut++;
            }
        }
        synchronized (this.monitor) {
            this.monitor.notifyAll();
        }
        logger.info("Closed TCP proxy {} -> {}:{} ({} connections cut)", address(), targetHost(), targetPort(),
                cut);
    }

    @Override
    public String toString() {
        return "TcpProxy[" + address() + " -> " + targetHost() + ":" + targetPort() + "]";
    }

    // ---- internals ----

    private static ServerSocket listen(int port) {
        ServerSocket socket = null;
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), BACKLOG);
            return socket;
        }
        catch (IOException ex) {
            closeQuietly(socket);
            throw new UncheckedIOException("cannot listen on " + HOST + ":" + port, ex);
        }
    }

    private Thread startAcceptThread(ServerSocket socket) {
        return startThread("accept", () -> acceptLoop(socket));
    }

    /**
     * Closes the listening socket and waits for its accept thread to end: the JDK closes a socket that a thread
     * is blocked on only when that thread returns, and until then the kernel would still complete connects.
     */
    private synchronized void stopListening() {
        ServerSocket socket = this.listener;
        Thread thread = this.acceptThread;
        this.listener = null;
        this.acceptThread = null;
        closeQuietly(socket);
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACCEPT_THREAD_EXIT_MILLIS);
        while (thread.isAlive() && System.nanoTime() - deadline < 0) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            catch (InterruptedException ex) {
                interrupted = true;
            }
        }
        if (thread.isAlive()) {
            logger.warn("TCP proxy {}: accept thread {} did not end", address(), thread.getName());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private Thread startThread(String suffix, Runnable task) {
        Thread thread = new Thread(() -> {
            try {
                task.run();
            }
            catch (RuntimeException ex) {
                logger.warn("TCP proxy {}: thread {} failed", address(), Thread.currentThread().getName(), ex);
            }
        }, "nexs-proxy-" + this.port + "-" + suffix);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void acceptLoop(ServerSocket socket) {
        while (!socket.isClosed()) {
            Socket client;
            try {
                client = socket.accept();
            }
            catch (IOException ex) {
                if (!socket.isClosed()) {
                    logger.warn("TCP proxy {}: accept failed: {}", address(), ex.toString());
                    Platform.pause(ERROR_PAUSE_MILLIS);
                }
                continue;
            }
            if (this.closed || socket.isClosed()) {
                // Accepted while the socket was being closed: reset it as the kernel does with queued connects.
                reset(client);
                return;
            }
            if (this.dropNewConnections) {
                logger.debug("TCP proxy {}: dropped a new connection from port {}", address(), client.getPort());
                closeQuietly(client);
                continue;
            }
            ProxiedConnection connection = new ProxiedConnection(this.connectionCounter.incrementAndGet(), client);
            this.connections.add(connection);
            // close() may have gone through the connections before this one was added.
            if (this.closed) {
                connection.close(true);
                return;
            }
            startThread(connection.id + "-to-server", connection::serve);
        }
    }

    private void ensureOpen() {
        if (this.closed) {
            throw new IllegalStateException("TCP proxy " + address() + " is closed");
        }
    }

    /**
     * Waits until bytes (or the end of the stream) read at {@code readAt} may be handed on: while the black hole
     * is on, then, if {@code delayed}, until the latency has passed. Returns {@code false} if the connection or the
     * proxy was closed meanwhile.
     */
    private boolean awaitDelivery(ProxiedConnection connection, long readAt, boolean delayed)
            throws InterruptedException {
        synchronized (this.monitor) {
            long from = readAt;
            boolean held = false;
            while (true) {
                if (this.closed || connection.isClosed()) {
                    return false;
                }
                if (this.blackHole) {
                    held = true;
                    this.monitor.wait();
                    continue;
                }
                if (held) {
                    // Like a retransmission after a partition heals: the latency counts from now.
                    from = System.nanoTime();
                    held = false;
                }
                long remaining = delayed ? from + this.latency.toNanos() - System.nanoTime() : 0;
                if (remaining <= 0) {
                    return true;
                }
                TimeUnit.NANOSECONDS.timedWait(this.monitor, remaining);
            }
        }
    }

    private void wakeUpWaiters() {
        synchronized (this.monitor) {
            this.monitor.notifyAll();
        }
    }

    /** Closes a socket with an RST rather than a FIN. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        }
        catch (IOException ex) {
            // already closed or broken: a plain close will do
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(@Nullable AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        }
        catch (Exception ex) {
            logger.debug("Could not close {}: {}", closeable, ex.toString());
        }
    }

    /** One accepted client connection and, once connected, its connection to the target. */
    private final class ProxiedConnection {

        private final int id;

        private final Socket client;

        private @Nullable Socket server;

        private boolean closed;

        private int finishedDirections;

        ProxiedConnection(int id, Socket client) {
            this.id = id;
            this.client = client;
        }

        /** Runs on the client-to-server thread: connects to the target, starts the other thread, forwards. */
        void serve() {
            Socket target = null;
            try {
                // Held back like any traffic while the black hole is on; the latency applies to the bytes only.
                if (!awaitDelivery(this, System.nanoTime(), false)) {
                    return;
                }
                target = new Socket();
                target.setTcpNoDelay(true);
                InetSocketAddress to = TcpProxy.this.target;
                target.connect(new InetSocketAddress(to.getHostString(), to.getPort()), CONNECT_TIMEOUT_MILLIS);
                this.client.setTcpNoDelay(true);
                if (!attach(target)) {
                    return;
                }
            }
            catch (IOException ex) {
                logger.info("TCP proxy {}: cannot connect to {}:{}, closing the client's connection: {}", address(),
                        targetHost(), targetPort(), ex.toString());
                closeQuietly(target);
                close(false);
                return;
            }
            catch (InterruptedException ex) {
                closeQuietly(target);
                close(false);
                return;
            }
            Socket connected = target;
            logger.debug("TCP proxy {}: connection {} from port {} forwarded from local port {}", address(), this.id,
                    this.client.getPort(), connected.getLocalPort());
            startThread(this.id + "-to-client", () -> forward(connected, this.client));
            forward(this.client, connected);
        }

        /** Copies bytes until the end of the stream, which is passed on as a half-close, or an error. */
        private void forward(Socket from, Socket to) {
            byte[] buffer = new byte[BUFFER_SIZE];
            try {
                InputStream input = from.getInputStream();
                OutputStream output = to.getOutputStream();
                while (true) {
                    int count = input.read(buffer);
                    if (!awaitDelivery(this, System.nanoTime(), true)) {
                        return;
                    }
                    if (count < 0) {
                        to.shutdownOutput();
                        finished();
                        return;
                    }
                    output.write(buffer, 0, count);
                    output.flush();
                }
            }
            catch (IOException ex) {
                if (!isClosed()) {
                    logger.debug("TCP proxy {}: connection {} ends: {}", address(), this.id, ex.toString());
                }
                close(false);
            }
            catch (InterruptedException ex) {
                close(false);
            }
        }

        private synchronized boolean attach(Socket target) {
            if (this.closed) {
                closeQuietly(target);
                return false;
            }
            this.server = target;
            return true;
        }

        synchronized boolean isClosed() {
            return this.closed;
        }

        /** Called when one direction reached the end of its stream; the second one closes the connection. */
        private void finished() {
            boolean both;
            synchronized (this) {
                this.finishedDirections++;
                both = this.finishedDirections == 2;
            }
            if (both) {
                close(false);
            }
        }

        /**
         * Closes both sockets, with an RST if {@code reset}; returns whether this call closed the connection (false
         * if it was closed already).
         */
        boolean close(boolean reset) {
            List<Socket> sockets = new ArrayList<>(2);
            synchronized (this) {
                if (this.closed) {
                    return false;
                }
                this.closed = true;
                sockets.add(this.client);
                if (this.server != null) {
                    sockets.add(this.server);
                }
            }
            for (Socket socket : sockets) {
                if (reset) {
                    reset(socket);
                }
                else {
                    closeQuietly(socket);
                }
            }
            TcpProxy.this.connections.remove(this);
            wakeUpWaiters();
            logger.debug("TCP proxy {}: connection {} closed{}", address(), this.id, reset ? " (reset)" : "");
            return true;
        }
    }
}
