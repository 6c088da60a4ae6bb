package io.nexs.postgres.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps track of the nodes of this JVM so that one shutdown hook can stop those that close at JVM exit, and
 * removes what JVMs that died without running their hook (kill -9, crashed fork) left behind.
 *
 * <p>Everything lives under {@link #baseDirectory()}: normally {@code java.io.tmpdir/nexs-postgres}, shared by
 * all users like {@code /tmp} itself; if another (non-root) user owns that folder, whose content we could then
 * not trust, a folder of our own, {@code java.io.tmpdir/nexs-postgres-<uid>}.
 */
final class NodeRegistry {

    static final String NODE_PREFIX = "node-";

    static final String OWNER_FILE = "owner.pid";

    private static final Logger logger = LoggerFactory.getLogger(NodeRegistry.class);

    private static final Set<PostgresNode> LIVE = ConcurrentHashMap.newKeySet();

    private static final AtomicBoolean INITIALIZED = new AtomicBoolean();

    /** Nodes without an owner file yet may belong to a JVM that is just creating them. */
    private static final Duration ORPHAN_GRACE = Duration.ofMinutes(1);

    private static final int SHARED_MODE = 01777;

    private static volatile @Nullable Path baseDirectory;

    private static volatile @Nullable Thread shutdownHook;

    private NodeRegistry() {
    }

    /** The folder holding the node folders and the binaries cache (see the class comment). */
    static Path baseDirectory() {
        Path known = baseDirectory;
        if (known == null) {
            synchronized (NodeRegistry.class) {
                known = baseDirectory;
                if (known == null) {
                    known = chooseBaseDirectory();
                    baseDirectory = known;
                }
            }
        }
        return known;
    }

    /** The shared folder {@code java.io.tmpdir/nexs-postgres}, whether or not it can be trusted. */
    static Path sharedDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"), "nexs-postgres");
    }

    /** Where the folder of this user alone is, {@code java.io.tmpdir/nexs-postgres-<uid>}. */
    static Path privateDirectoryPath() {
        return Path.of(System.getProperty("java.io.tmpdir"), "nexs-postgres-" + Platform.currentUserId());
    }

    /** The folder of this user alone, {@link #privateDirectoryPath()}, created if need be and checked. */
    static Path privateDirectory() {
        Path directory = privateDirectoryPath();
        try {
            createPrivateDirectory(directory);
        }
        catch (IOException ex) {
            throw new PostgresNodeException("prepare", null, "cannot create " + directory + ": " + ex, null, ex);
        }
        return directory;
    }

    private static Path chooseBaseDirectory() {
        Path shared = sharedDirectory();
        try {
            createSharedDirectory(shared);
            if (Platform.isSafeFolder(shared)) {
                return shared;
            }
            logger.warn("{} belongs to another user, who could tamper with its content; using {} instead", shared,
                    privateDirectoryPath());
        }
        catch (IOException ex) {
            logger.warn("Cannot use {} ({}); using {} instead", shared, ex.toString(), privateDirectoryPath());
        }
        return privateDirectory();
    }

    /** Installs the shutdown hook and reaps leftovers of dead JVMs, once per JVM. */
    static void initialize() {
        if (!INITIALIZED.compareAndSet(false, true)) {
            return;
        }
        baseDirectory();
        Thread hook = new Thread(NodeRegistry::closeAtJvmExit, "nexs-postgres-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        shutdownHook = hook;
        reapLeftovers();
    }

    /** The shutdown hook once {@link #initialize()} has installed it (tests wait for it to finish). */
    static @Nullable Thread shutdownHook() {
        return shutdownHook;
    }

    static void register(PostgresNode node) {
        LIVE.add(node);
    }

    static void unregister(PostgresNode node) {
        LIVE.remove(node);
    }

    /** The open nodes the shutdown hook closes: all but those built with {@code closeOnJvmExit(false)}. */
    static List<PostgresNode> nodesToCloseAtJvmExit() {
        return LIVE.stream().filter(PostgresNode::closesOnJvmExit).toList();
    }

    private static void closeAtJvmExit() {
        List<Thread> closers = new ArrayList<>();
        for (PostgresNode node : nodesToCloseAtJvmExit()) {
            // In parallel: each immediate stop takes a moment and the JVM is waiting to exit.
            Thread closer = new Thread(() -> {
                try {
                    node.close();
                }
                catch (RuntimeException ex) {
                    logger.warn("Could not close PostgreSQL node {} at JVM exit: {}", node.name(), ex.toString());
                }
            }, "nexs-postgres-close-" + node.name());
            closer.start();
            closers.add(closer);
        }
        for (Thread closer : closers) {
            try {
                closer.join(Duration.ofSeconds(20).toMillis());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Creates a folder anyone may use, like /tmp itself: the cache is shared between users (root runs servers as
     * nobody, and a later non-root build must still be able to add its own nodes). The sticky bit keeps users
     * from removing or renaming each other's entries.
     */
    static void createSharedDirectory(Path directory) throws IOException {
        if (Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.createDirectories(directory);
        if (!Platform.os().equals("windows")) {
            Platform.setMode(directory, SHARED_MODE);
        }
    }

    /**
     * Creates a folder only we may change (others may read it: the server user must reach the binaries and node
     * folders of root), or checks that an existing one is like that.
     */
    static void createPrivateDirectory(Path directory) throws IOException {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(directory);
            if (!Platform.os().equals("windows")) {
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        UserPrincipal owner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS);
        if (!owner.equals(Platform.currentUser()) || Platform.isWritableByOthers(directory)) {
            throw new IOException(directory + " is owned by " + owner.getName() + " or writable by other users; "
                    + "remove it or point java.io.tmpdir elsewhere");
        }
    }

    /** Writes the owner file that tells other JVMs whether this node folder is still in use. */
    static void writeOwner(Path nodeDirectory) throws IOException {
        ProcessHandle self = ProcessHandle.current();
        long started = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Files.writeString(nodeDirectory.resolve(OWNER_FILE), self.pid() + " " + started + "\n",
                StandardCharsets.UTF_8);
    }

    /** Removes the node folders (and stops the servers) of JVMs that are gone; only folders of our own user. */
    static void reapLeftovers() {
        Path base = baseDirectory();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(base, NODE_PREFIX + "*")) {
            for (Path entry : entries) {
                try {
                    if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && isOurs(entry) && ownerIsGone(entry)) {
                        reap(entry);
                    }
                }
                catch (IOException | RuntimeException ex) {
                    logger.debug("Could not reap {}: {}", entry, ex.toString());
                }
            }
        }
        catch (IOException ex) {
            logger.debug("Could not scan {} for leftovers: {}", base, ex.toString());
        }
    }

    /** Whether a node folder was made by our user: owned by us, or by the server user when we are root. */
    static boolean isOurs(Path nodeDirectory) throws IOException {
        UserPrincipal owner = Files.getOwner(nodeDirectory, LinkOption.NOFOLLOW_LINKS);
        if (owner.equals(Platform.currentUser())) {
            return true;
        }
        return Platform.isRoot() && owner.equals(Platform.serverUser());
    }

    private static boolean ownerIsGone(Path nodeDirectory) throws IOException {
        Path ownerFile = nodeDirectory.resolve(OWNER_FILE);
        if (!Files.exists(ownerFile)) {
            Instant modified = Files.getLastModifiedTime(nodeDirectory).toInstant();
            return modified.isBefore(Instant.now().minus(ORPHAN_GRACE));
        }
        String[] parts = Files.readString(ownerFile, StandardCharsets.UTF_8).strip().split("\\s+");
        long pid = Long.parseLong(parts[0]);
        long started = (parts.length > 1) ? Long.parseLong(parts[1]) : 0L;
        if (!Platform.isAlive(pid)) {
            return true;
        }
        // A live process with that pid but another start time is an unrelated process that reused the pid.
        long actualStart = ProcessHandle.of(pid).flatMap((handle) -> handle.info().startInstant())
                .map(Instant::toEpochMilli).orElse(started);
        return started != 0L && Math.abs(actualStart - started) > 1000;
    }

    private static void reap(Path nodeDirectory) throws IOException {
        Path dataDirectory = nodeDirectory.resolve("data");
        Long pid = postmasterPid(dataDirectory);
        if (pid != null && Platform.isAlive(pid)) {
            Boolean ours = runsDataDirectory(pid, dataDirectory);
            if (ours == null) {
                // Perhaps our server, perhaps a process that reused the pid: neither kill it nor pull the folder
                // from under it.
                logger.debug("Leaving {} alone: cannot see the command line of process {}", nodeDirectory, pid);
                return;
            }
            if (ours && !Platform.killTree(pid, Duration.ZERO)) {
                logger.warn("Could not kill the leftover PostgreSQL server {} of {}", pid, nodeDirectory);
                return;
            }
        }
        logger.info("Removing leftover PostgreSQL node folder {} of a JVM that is gone", nodeDirectory);
        deleteTree(nodeDirectory);
    }

    /**
     * Whether the process is a postmaster of that very data folder: its command line has {@code -D <folder>}
     * (pg_ctl starts it so), {@code -D<folder>} or {@code --pgdata=<folder>}. {@code null} if its command line
     * cannot be seen.
     */
    static @Nullable Boolean runsDataDirectory(long pid, Path dataDirectory) {
        List<String> arguments = Platform.arguments(pid);
        if (arguments == null) {
            return null;
        }
        for (int i = 1; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            String folder = null;
            if (argument.equals("-D") && i + 1 < arguments.size()) {
                folder = arguments.get(i + 1);
            }
            else if (argument.startsWith("-D") && argument.length() > 2) {
                folder = argument.substring(2);
            }
            else if (argument.startsWith("--pgdata=")) {
                folder = argument.substring("--pgdata=".length());
            }
            if (folder != null && sameFolder(folder, dataDirectory)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameFolder(String argument, Path dataDirectory) {
        try {
            return Path.of(argument).toAbsolutePath().normalize()
                    .equals(dataDirectory.toAbsolutePath().normalize());
        }
        catch (RuntimeException ex) {
            return false;
        }
    }

    /** The pid in {@code postmaster.pid}, or {@code null} if there is no (readable) lock file. */
    static @Nullable Long postmasterPid(Path dataDirectory) {
        try {
            List<String> lines = Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            return lines.isEmpty() ? null : Long.parseLong(lines.get(0).strip());
        }
        catch (IOException | NumberFormatException ex) {
            return null;
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                // Files such as postmaster.pid vanish while a server shuts down.
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, @Nullable IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
