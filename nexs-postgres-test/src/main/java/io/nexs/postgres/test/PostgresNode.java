package io.nexs.postgres.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real PostgreSQL server for tests, run from the zonky binaries on the classpath in its own folder under
 * {@code java.io.tmpdir/nexs-postgres}. Authentication is {@code trust} for user {@code postgres}; the server
 * listens on 127.0.0.1 only.
 *
 * <p>{@link #close()} stops the server immediately and deletes its folder; a JVM shutdown hook does the same for
 * nodes still open when the JVM exits. Methods that change the server's state ({@link #stop()}, {@link #crash()},
 * {@link #hang()}, ...) are meant to be called from one test thread at a time.
 *
 * <pre>{@code
 * try (PostgresNode node = PostgresNode.start();
 *      Connection connection = node.connect()) {
 *     ...
 * }
 * }</pre>
 */
public final class PostgresNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresNode.class);
    private static final String HOST = "127.0.0.1";
    private static final String USER = "postgres";
    private static final String LOG_FILE = "postgres.log";
    private static final String CONFIG_FILE = "nexs.conf";
    private static final int PORT_ATTEMPTS = 4;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CHILD_EXIT_TIMEOUT = Duration.ofSeconds(5);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    // Ports handed out in this JVM stay reserved so a stopped node can come back on its port.
    private static final Set<Integer> RESERVED_PORTS = ConcurrentHashMap.newKeySet();

    private final String name;
    private final String version;
    private final boolean durable;
    private final Map<String, String> settings;
    private final Path binDirectory;
    private final Path nodeDirectory;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final Path logFile;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile int port;
    private volatile long postmasterPid;
    private volatile boolean hung;

    private PostgresNode(Builder builder, @Nullable PostgresNode copyOf) {
        NodeRegistry.initialize();
        this.name = builder.name != null ? builder.name : "node" + COUNTER.incrementAndGet();
        this.version = builder.version != null ? builder.version : PostgresBinaries.defaultVersion();
        this.durable = builder.durable;
        this.settings = new LinkedHashMap<>(builder.settings);
        this.port = builder.firstPort;
        this.binDirectory = PostgresBinaries.install(version).resolve("bin");
        try {
            this.nodeDirectory = Files.createTempDirectory(NodeRegistry.baseDirectory(),
                    NodeRegistry.NODE_PREFIX + safeName(name) + "-");
        } catch (IOException e) {
            throw new PostgresNodeException("prepare", name, "cannot create the node folder: " + e, null, e);
        }
        this.dataDirectory = nodeDirectory.resolve("data");
        this.socketDirectory = nodeDirectory.resolve("socket");
        this.logFile = nodeDirectory.resolve(LOG_FILE);
        // Registered before anything runs so that a failure half-way still gets cleaned up at JVM exit.
        NodeRegistry.register(this);
        try {
            NodeRegistry.writeOwner(nodeDirectory);
            Files.createDirectory(socketDirectory);
            Platform.giveToServerUser(nodeDirectory);
            Platform.giveToServerUser(socketDirectory);
            if (copyOf == null) {
                initdb(builder.initdbArguments);
            } else {
                copyDataDirectory(copyOf.dataDirectory, dataDirectory);
            }
        } catch (IOException | RuntimeException e) {
            close();
            if (e instanceof PostgresNodeException) {
                throw (PostgresNodeException) e;
            }
            throw new PostgresNodeException("prepare", name, "cannot prepare the node folder: " + e, null, e);
        }
    }

    /** A builder for a node with non-default settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a node with default settings: {@code builder().start()}. */
    public static PostgresNode start() {
        return builder().start();
    }

    /** Creates and initializes a node without starting it (clusters configure nodes before their first start). */
    static PostgresNode initialize(Builder builder) {
        return new PostgresNode(builder, null);
    }

    /** Creates a node whose data folder is a copy of a stopped (or never started) node's data folder. */
    static PostgresNode copyOf(PostgresNode source, Builder builder) {
        if (source.isRunning()) {
            throw new PostgresNodeException("copy", source.name, "the source node must not be running");
        }
        return new PostgresNode(builder, source);
    }

    /** Name of the node; standbys use it as {@code application_name}. */
    public String name() {
        return name;
    }

    /** {@code 127.0.0.1}: the server listens on the loopback interface only. */
    public String host() {
        return HOST;
    }

    /** The TCP port; 0 before the first start. */
    public int port() {
        return port;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres}. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** JDBC URL of another database on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /** {@code postgres}; no password is needed (trust authentication). */
    public String username() {
        return USER;
    }

    /** A plain PgJDBC connection to database {@code postgres}. */
    public Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", USER);
        return DriverManager.getConnection(jdbcUrl(), properties);
    }

    /** Version of the binaries, e.g. {@code 18.1.0}. */
    public String version() {
        return version;
    }

    /** The server's data folder ({@code PGDATA}). */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The node's folder holding {@code data/}, {@code socket/} and the server log. */
    public Path nodeDirectory() {
        return nodeDirectory;
    }

    /** Whether the postmaster process is alive (also while {@link #hang() hung}). */
    public boolean isRunning() {
        return postmasterPid > 0 && Platform.isAlive(postmasterPid);
    }

    /** Whether {@link #hang()} stopped the server's processes and {@link #resume()} has not woken them yet. */
    public boolean isHung() {
        return hung;
    }

    /** Process id of the postmaster from its last start; 0 before the first start. */
    public long postmasterPid() {
        return postmasterPid;
    }

    /** Stops the server with {@code pg_ctl -m fast stop}, resuming it first if it is hung; no-op if not running. */
    public synchronized void stop() {
        if (!isRunning()) {
            hung = false;
            return;
        }
        if (hung) {
            resume();
        }
        long started = System.nanoTime();
        Platform.CommandResult result = pgCtl(List.of("-m", "fast", "-w", "-t", "60", "stop"), Duration.ofSeconds(90));
        if (result.exitCode() != 0) {
            throw failure("stop", "pg_ctl stop exited with " + result.exitCode() + ": " + result.output().strip());
        }
        log.info("Stopped PostgreSQL node {} in {} ms", name, millisSince(started));
    }

    /**
     * Kills the postmaster with SIGKILL, like a crash of the server. Its children notice and exit; any that do
     * not within a few seconds are killed too, so that no process of the node remains afterwards.
     */
    public synchronized void crash() {
        long pid = postmasterPid;
        if (!isRunning()) {
            throw failure("crash", "the server is not running");
        }
        List<Long> children = Platform.descendants(pid);
        Platform.signal("KILL", List.of(pid));
        if (hung) {
            // Stopped children cannot notice that the postmaster is gone.
            Platform.signal("CONT", children);
            hung = false;
        }
        Platform.awaitDeath(List.of(pid), CHILD_EXIT_TIMEOUT);
        if (!Platform.awaitDeath(children, CHILD_EXIT_TIMEOUT)) {
            log.warn("Children of crashed PostgreSQL node {} did not exit, killing them", name);
            Platform.signal("KILL", children);
            Platform.awaitDeath(children, CHILD_EXIT_TIMEOUT);
        }
        log.info("Crashed PostgreSQL node {} (postmaster {} and {} children killed)", name, pid, children.size());
    }

    /**
     * Freezes the server with SIGSTOP to the postmaster and every child, so that existing sessions stop answering
     * too (stopping only the postmaster would leave them serving). {@link #resume()} wakes it up.
     */
    public synchronized void hang() {
        long pid = postmasterPid;
        if (!isRunning()) {
            throw failure("hang", "the server is not running");
        }
        // The postmaster first so that it forks no new children while they are being stopped.
        Set<Long> stopped = new LinkedHashSet<>();
        stopped.add(pid);
        Platform.signal("STOP", List.of(pid));
        while (true) {
            List<Long> fresh = new ArrayList<>(Platform.descendants(pid));
            fresh.removeAll(stopped);
            if (fresh.isEmpty()) {
                break;
            }
            Platform.signal("STOP", fresh);
            stopped.addAll(fresh);
        }
        hung = true;
        log.info("Hung PostgreSQL node {} ({} processes stopped)", name, stopped.size());
    }

    /** Wakes the processes stopped by {@link #hang()} with SIGCONT. */
    public synchronized void resume() {
        long pid = postmasterPid;
        if (pid > 0 && Platform.isAlive(pid)) {
            List<Long> pids = new ArrayList<>(Platform.descendants(pid));
            pids.add(pid);
            Platform.signal("CONT", pids);
            log.info("Resumed PostgreSQL node {}", name);
        }
        hung = false;
    }

    /** Stops the server if it is running and starts it again on the same port. */
    public synchronized void restart() {
        stop();
        startServer(false);
    }

    /**
     * Promotes a standby to primary ({@code pg_ctl promote -w}) and waits until it accepts writes, i.e. until
     * {@code pg_is_in_recovery()} is false.
     */
    public synchronized void promote() {
        long started = System.nanoTime();
        Platform.CommandResult result = pgCtl(List.of("-w", "-t", "60", "promote"), Duration.ofSeconds(90));
        if (result.exitCode() != 0) {
            throw failure("promote", "pg_ctl promote exited with " + result.exitCode() + ": "
                    + result.output().strip());
        }
        awaitTrue("promote", "select not pg_is_in_recovery()", Duration.ofSeconds(30));
        log.info("Promoted PostgreSQL node {} in {} ms", name, millisSince(started));
    }

    /** The last lines of the server log (empty if there is no log yet). */
    public String logTail(int lines) {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            String text = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
            List<String> all = Arrays.asList(text.split("\\R"));
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    /** Stops the server immediately (whatever state it is in) and deletes the node folder. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (this) {
            long pid = postmasterPid;
            try {
                if (pid > 0 && Platform.isAlive(pid)) {
                    List<Long> processes = new ArrayList<>(Platform.descendants(pid));
                    processes.add(pid);
                    if (hung) {
                        Platform.signal("CONT", processes);
                        hung = false;
                    }
                    Platform.CommandResult result = pgCtl(List.of("-m", "immediate", "-w", "-t", "20", "stop"),
                            Duration.ofSeconds(30));
                    if (result.exitCode() != 0 || !Platform.awaitDeath(processes, CHILD_EXIT_TIMEOUT)) {
                        log.warn("Immediate stop of PostgreSQL node {} failed, killing it: {}", name,
                                result.output().strip());
                        Platform.signal("KILL", processes);
                        Platform.awaitDeath(processes, CHILD_EXIT_TIMEOUT);
                    }
                }
            } finally {
                try {
                    NodeRegistry.deleteTree(nodeDirectory);
                } catch (IOException e) {
                    log.warn("Could not delete folder {} of PostgreSQL node {}: {}", nodeDirectory, name, e.toString());
                }
                releasePort();
                NodeRegistry.unregister(this);
                log.info("Closed PostgreSQL node {}", name);
            }
        }
    }

    @Override
    public String toString() {
        return "PostgresNode[" + name + ", " + version + ", port " + port + "]";
    }

    // ---- package-private plumbing for PostgresCluster ----

    /** Starts the server: the first time on a free port (retrying on a clash), later on its known port. */
    synchronized void startServer(boolean pickNewPortOnClash) {
        ensureOpen("start");
        boolean firstStart = port == 0;
        for (int attempt = 1; ; attempt++) {
            if (port == 0) {
                port = freePort();
            }
            long started = System.nanoTime();
            removeStaleLockFiles();
            writeConfig();
            long logOffset = logSize();
            Platform.CommandResult result = pgCtl(List.of("-l", logFile.toString(), "-w",
                    "-t", Long.toString(START_TIMEOUT.toSeconds()), "-s", "start"), START_TIMEOUT.plusSeconds(30));
            if (result.exitCode() == 0) {
                Long pid = NodeRegistry.postmasterPid(dataDirectory);
                postmasterPid = pid == null ? 0 : pid;
                hung = false;
                log.info("Started PostgreSQL {} node {} on port {} (pid {}) in {} ms", version, name, port,
                        postmasterPid, millisSince(started));
                return;
            }
            String newLog = logSince(logOffset);
            boolean clash = newLog.contains("could not bind") || newLog.contains("Address already in use");
            if (clash && (firstStart || pickNewPortOnClash) && attempt < PORT_ATTEMPTS) {
                log.warn("Port {} of PostgreSQL node {} is taken, retrying with another port", port, name);
                releasePort();
                continue;
            }
            String reason = clash ? "port " + port + " is taken (after " + attempt + " attempts)"
                    : "pg_ctl start exited with " + result.exitCode();
            throw new PostgresNodeException("start", name, reason + ": " + result.output().strip(),
                    newLog.isBlank() ? logTail(40) : tail(newLog, 40), null);
        }
    }

    /** Sets a setting for the next start (written to the node's {@code nexs.conf}). */
    synchronized void putSetting(String key, String value) {
        settings.put(key, value);
    }

    /** Appends a line to {@code pg_hba.conf}; takes effect at the next start. */
    void addHbaLine(String line) {
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), line + System.lineSeparator(),
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new PostgresNodeException("configure", name, "cannot write pg_hba.conf: " + e, null, e);
        }
    }

    /** Turns a (not yet started) copy of a primary's data folder into a streaming standby of that primary. */
    void configureAsStandby(PostgresNode primary, String slotName) {
        putSetting("primary_conninfo", "host=" + HOST + " port=" + primary.port() + " user=" + USER
                + " application_name=" + name);
        putSetting("primary_slot_name", slotName);
        try {
            Path signal = Files.createFile(dataDirectory.resolve("standby.signal"));
            Platform.giveToServerUser(signal);
        } catch (IOException e) {
            throw new PostgresNodeException("configure", name, "cannot create standby.signal: " + e, null, e);
        }
    }

    /** Polls a boolean query until it returns true. */
    void awaitTrue(String step, String sql, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException last = null;
        while (System.nanoTime() - deadline < 0) {
            try (Connection connection = connect(); Statement statement = connection.createStatement()) {
                while (System.nanoTime() - deadline < 0) {
                    try (ResultSet rows = statement.executeQuery(sql)) {
                        if (rows.next() && rows.getBoolean(1)) {
                            return;
                        }
                    }
                    Platform.pause(10);
                }
            } catch (SQLException e) {
                last = e;
                Platform.pause(20);
            }
        }
        throw new PostgresNodeException(step, name, "timed out after " + timeout.toMillis() + " ms waiting for: "
                + sql + (last == null ? "" : " (last error: " + last.getMessage() + ")"), logTail(40), last);
    }

    PostgresNodeException failure(String step, String message) {
        return new PostgresNodeException(step, name, message, logTail(40), null);
    }

    // ---- internals ----

    private void initdb(List<String> extraArguments) {
        long started = System.nanoTime();
        List<String> command = new ArrayList<>(List.of(binary("initdb"), "-D", dataDirectory.toString(),
                "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"));
        command.addAll(extraArguments);
        Platform.CommandResult result = Platform.run(Platform.asServerUser(command), nodeDirectory,
                Duration.ofSeconds(120));
        if (result.exitCode() != 0) {
            throw new PostgresNodeException("initdb", name, "initdb exited with " + result.exitCode()
                    + " (binaries " + binDirectory + ")", tail(result.output(), 40), null);
        }
        try {
            // Settings live in a file rewritten before each start; postgresql.conf only includes it.
            Files.writeString(dataDirectory.resolve("postgresql.conf"), System.lineSeparator()
                    + "include_if_exists = '" + CONFIG_FILE + "'" + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new PostgresNodeException("initdb", name, "cannot write postgresql.conf: " + e, null, e);
        }
        log.info("Initialized PostgreSQL {} data folder for node {} in {} ms", version, name, millisSince(started));
    }

    private void writeConfig() {
        Map<String, String> effective = new LinkedHashMap<>();
        effective.put("listen_addresses", HOST);
        effective.put("port", Integer.toString(port));
        effective.put("unix_socket_directories", socketDirectory.toString());
        effective.put("max_connections", "200");
        effective.put("shared_buffers", "32MB");
        effective.put("logging_collector", "off");
        if (!durable) {
            effective.put("fsync", "off");
            effective.put("synchronous_commit", "off");
            effective.put("full_page_writes", "off");
        }
        effective.putAll(settings);
        StringBuilder text = new StringBuilder("# Written by nexs-postgres-test before each start.\n");
        effective.forEach((key, value) -> text.append(key).append(" = '").append(value.replace("'", "''"))
                .append("'\n"));
        Path config = dataDirectory.resolve(CONFIG_FILE);
        try {
            Files.writeString(config, text, StandardCharsets.UTF_8);
            Platform.giveToServerUser(config);
        } catch (IOException e) {
            throw new PostgresNodeException("configure", name, "cannot write " + config + ": " + e, null, e);
        }
    }

    /**
     * Deletes the lock files of a killed postmaster: if nobody reaps it (PID 1 of some containers), the zombie
     * still "exists" for kill(pid, 0), and the new postmaster would refuse to start.
     */
    private void removeStaleLockFiles() {
        Long previous = NodeRegistry.postmasterPid(dataDirectory);
        if (previous == null || Platform.isAlive(previous)) {
            return;
        }
        try (Stream<Path> socketFiles = Files.list(socketDirectory)) {
            Files.deleteIfExists(dataDirectory.resolve("postmaster.pid"));
            for (Path file : (Iterable<Path>) socketFiles::iterator) {
                if (file.getFileName().toString().startsWith(".s.PGSQL.")) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            log.debug("Could not delete stale lock files of node {}: {}", name, e.toString());
        }
    }

    private Platform.CommandResult pgCtl(List<String> arguments, Duration timeout) {
        List<String> command = new ArrayList<>(List.of(binary("pg_ctl"), "-D", dataDirectory.toString()));
        command.addAll(arguments);
        return Platform.run(Platform.asServerUser(command), nodeDirectory, timeout);
    }

    private String binary(String program) {
        return binDirectory.resolve(program).toString();
    }

    private long logSize() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        try (SeekableByteChannel channel = Files.newByteChannel(logFile)) {
            channel.position(offset);
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE, channel.size() - offset));
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // keep reading
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private void ensureOpen(String step) {
        if (closed.get()) {
            throw new PostgresNodeException(step, name, "the node is closed");
        }
    }

    private void releasePort() {
        if (port != 0) {
            RESERVED_PORTS.remove(port);
            port = 0;
        }
    }

    private static int freePort() {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                int candidate = socket.getLocalPort();
                if (RESERVED_PORTS.add(candidate)) {
                    return candidate;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port", e);
            }
        }
        throw new IllegalStateException("no free port found");
    }

    private static void copyDataDirectory(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.copy(dir, target.resolve(source.relativize(dir).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String relative = source.relativize(file).toString();
                if (!relative.equals("postmaster.pid") && !relative.equals("postmaster.opts")) {
                    Files.copy(file, target.resolve(relative), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Platform.giveTreeToServerUser(target);
    }

    private static String safeName(String name) {
        String safe = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return safe.length() > 40 ? safe.substring(0, 40) : safe;
    }

    static String tail(String text, int lines) {
        List<String> all = Arrays.asList(text.strip().split("\\R"));
        return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    /** Fluent configuration of a {@link PostgresNode}; {@link #start()} creates and starts it. */
    public static final class Builder {

        private @Nullable String version;
        private @Nullable String name;
        private boolean durable;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final List<String> initdbArguments = new ArrayList<>();
        private int firstPort;

        Builder() {
        }

        /** Port for the first start attempt only; a clash still moves the node to a free port (tests use this). */
        Builder firstPort(int port) {
            this.firstPort = port;
            return this;
        }

        /**
         * Version of the binaries, e.g. {@code 17.5.0}; default: system property
         * {@code nexs.postgres.test.version}, else 18.1.0.
         */
        public Builder version(String version) {
            this.version = version;
            return this;
        }

        /** Name of the node (log lines, folder name, {@code application_name} of standbys). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * {@code false} (the default) turns off fsync, synchronous_commit and full_page_writes for speed, which is
         * fine for tests that kill processes but not for tests that simulate a machine crash; {@code true} keeps
         * PostgreSQL's defaults.
         */
        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /** A server setting, e.g. {@code setting("max_locks_per_transaction", "128")}; overrides the kit's defaults. */
        public Builder setting(String key, String value) {
            settings.put(key, value);
            return this;
        }

        /** An extra command-line argument for initdb, e.g. {@code --data-checksums}. */
        public Builder initdbArgument(String argument) {
            initdbArguments.add(argument);
            return this;
        }

        /** Creates the node, runs initdb and starts the server. */
        public PostgresNode start() {
            PostgresNode node = initialize(this);
            try {
                node.startServer(true);
            } catch (RuntimeException e) {
                node.close();
                throw e;
            }
            return node;
        }
    }
}
