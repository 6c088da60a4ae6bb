package io.nexs.postgres.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
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
 * Keeps track of the nodes of this JVM so that one shutdown hook can stop them all, and removes what JVMs that
 * died without running their hook (kill -9, crashed fork) left behind.
 */
final class NodeRegistry {

    static final String NODE_PREFIX = "node-";
    static final String OWNER_FILE = "owner.pid";

    private static final Logger log = LoggerFactory.getLogger(NodeRegistry.class);
    private static final Set<PostgresNode> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean INITIALIZED = new AtomicBoolean();
    // Nodes without an owner file yet may belong to a JVM that is just creating them.
    private static final Duration ORPHAN_GRACE = Duration.ofMinutes(1);

    private NodeRegistry() {
    }

    static Path baseDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"), "nexs-postgres");
    }

    /** Installs the shutdown hook and reaps leftovers of dead JVMs, once per JVM. */
    static void initialize() {
        if (!INITIALIZED.compareAndSet(false, true)) {
            return;
        }
        try {
            createSharedDirectory(baseDirectory());
        } catch (IOException e) {
            throw new PostgresNodeException("prepare", null, "cannot create " + baseDirectory() + ": " + e, null, e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(NodeRegistry::closeAll, "nexs-postgres-shutdown"));
        reapLeftovers();
    }

    static void register(PostgresNode node) {
        LIVE.add(node);
    }

    static void unregister(PostgresNode node) {
        LIVE.remove(node);
    }

    private static void closeAll() {
        List<Thread> closers = new ArrayList<>();
        for (PostgresNode node : List.copyOf(LIVE)) {
            // In parallel: each immediate stop takes a moment and the JVM is waiting to exit.
            Thread closer = new Thread(() -> {
                try {
                    node.close();
                } catch (RuntimeException e) {
                    log.warn("Could not close PostgreSQL node {} at JVM exit: {}", node.name(), e.toString());
                }
            }, "nexs-postgres-close-" + node.name());
            closer.start();
            closers.add(closer);
        }
        for (Thread closer : closers) {
            try {
                closer.join(Duration.ofSeconds(20).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Creates a folder anyone may use, like /tmp itself: the cache is shared between users (root runs servers as
     * nobody, and a later non-root build must still be able to add its own nodes).
     */
    static void createSharedDirectory(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Files.createDirectories(directory);
        if (!Platform.os().equals("windows")) {
            Platform.run(List.of("chmod", "1777", directory.toString()), null, Duration.ofSeconds(10));
        }
    }

    /** Writes the owner file that tells other JVMs whether this node folder is still in use. */
    static void writeOwner(Path nodeDirectory) throws IOException {
        ProcessHandle self = ProcessHandle.current();
        long started = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Files.writeString(nodeDirectory.resolve(OWNER_FILE), self.pid() + " " + started + "\n",
                StandardCharsets.UTF_8);
    }

    static void reapLeftovers() {
        Path base = baseDirectory();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(base, NODE_PREFIX + "*")) {
            for (Path entry : entries) {
                try {
                    if (Files.isDirectory(entry) && ownerIsGone(entry)) {
                        reap(entry);
                    }
                } catch (IOException | RuntimeException e) {
                    log.debug("Could not reap {}: {}", entry, e.toString());
                }
            }
        } catch (IOException e) {
            log.debug("Could not scan {} for leftovers: {}", base, e.toString());
        }
    }

    private static boolean ownerIsGone(Path nodeDirectory) throws IOException {
        Path ownerFile = nodeDirectory.resolve(OWNER_FILE);
        if (!Files.exists(ownerFile)) {
            Instant modified = Files.getLastModifiedTime(nodeDirectory).toInstant();
            return modified.isBefore(Instant.now().minus(ORPHAN_GRACE));
        }
        String[] parts = Files.readString(ownerFile, StandardCharsets.UTF_8).strip().split("\\s+");
        long pid = Long.parseLong(parts[0]);
        long started = parts.length > 1 ? Long.parseLong(parts[1]) : 0L;
        if (!Platform.isAlive(pid)) {
            return true;
        }
        // A live process with that pid but another start time is an unrelated process that reused the pid.
        long actualStart = ProcessHandle.of(pid).flatMap(handle -> handle.info().startInstant())
                .map(Instant::toEpochMilli).orElse(started);
        return started != 0L && Math.abs(actualStart - started) > 1000;
    }

    private static void reap(Path nodeDirectory) throws IOException {
        Long postmaster = postmasterPid(nodeDirectory.resolve("data"));
        if (postmaster != null && Platform.isAlive(postmaster)) {
            String command = Platform.commandLine(postmaster);
            if (command == null || command.contains("postgres")) {
                killTree(postmaster);
            }
        }
        log.info("Removing leftover PostgreSQL node folder {} of a JVM that is gone", nodeDirectory);
        deleteTree(nodeDirectory);
    }

    /** SIGKILLs a postmaster and its children, waking them first in case they were stopped. */
    static void killTree(long postmaster) {
        List<Long> pids = new ArrayList<>();
        pids.add(postmaster);
        pids.addAll(Platform.descendants(postmaster));
        Platform.signal("KILL", pids);
        Platform.signal("CONT", pids);
        Platform.awaitDeath(pids, Duration.ofSeconds(10));
    }

    static @Nullable Long postmasterPid(Path dataDirectory) {
        try {
            List<String> lines = Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            return lines.isEmpty() ? null : Long.parseLong(lines.get(0).strip());
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
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
