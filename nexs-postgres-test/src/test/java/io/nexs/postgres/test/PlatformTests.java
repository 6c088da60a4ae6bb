package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformTests {

    @Test
    void timedOutCommandIsKilledWithEverythingItStarted(@TempDir Path folder) throws Exception {
        Path pidFile = folder.resolve("child.pid");

        Platform.CommandResult result = Platform.run(List.of("/bin/sh", "-c",
                "sleep 60 & echo $! > " + pidFile + "; wait"), null, Duration.ofMillis(500));

        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(result.output()).contains("timed out");
        long child = Long.parseLong(Files.readString(pidFile).strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> !Platform.isAlive(child));
    }

    @Test
    void interruptedCommandIsKilledAndTheFlagKept(@TempDir Path folder) throws Exception {
        Path pidFile = folder.resolve("child.pid");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread runner = new Thread(() -> {
            try {
                Platform.run(List.of("/bin/sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"), null,
                        Duration.ofSeconds(60));
            }
            catch (RuntimeException ex) {
                failure.set(ex);
                flagKept.set(Thread.currentThread().isInterrupted());
            }
        });
        runner.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        long child = Long.parseLong(Files.readString(pidFile).strip());

        runner.interrupt();
        runner.join(Duration.ofSeconds(10).toMillis());

        assertThat(runner.isAlive()).isFalse();
        assertThat(failure.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("interrupted");
        assertThat(flagKept).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> !Platform.isAlive(child));
    }

    @Test
    void killTreeKillsAProcessAndItsChildren(@TempDir Path folder) throws Exception {
        Path pidFile = folder.resolve("child.pid");
        Process parent = new ProcessBuilder("/bin/sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait").start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        long child = Long.parseLong(Files.readString(pidFile).strip());

        assertThat(Platform.killTree(parent.pid(), Duration.ZERO)).isTrue();

        assertThat(Platform.isAlive(child)).isFalse();
        // The shell may see its child die first and leave on its own (wait then returns 0) before its own kill
        // lands: either way it must be gone, not still running.
        assertThat(parent.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void argumentsAreThoseOfTheProcess() {
        List<String> arguments = Platform.arguments(ProcessHandle.current().pid());
        assertThat(arguments).isNotNull();
        assertThat(arguments.get(0)).endsWith("java");
        assertThat(Platform.arguments(Long.MAX_VALUE)).isNull();
    }

    @Test
    void treesOthersCanWriteToAreNotSafe(@TempDir Path folder) throws Exception {
        Path tree = Files.createDirectories(folder.resolve("tree").resolve("bin"));
        Path program = Files.writeString(tree.resolve("postgres"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(tree.resolve("link"), Path.of("postgres"));
        Path root = folder.resolve("tree");
        assertThat(Platform.isSafeTree(root)).isTrue();

        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertThat(Platform.isSafeTree(root)).isFalse();
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xrwx"));
        assertThat(Platform.isSafeTree(root)).isFalse();
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThat(Platform.isSafeTree(root)).isFalse();
    }

    @Test
    void treesOfOtherUsersAreNotSafe(@TempDir Path folder) throws Exception {
        assumeTrue(Platform.isRoot(), "only root can hand files to other users");
        Path tree = Files.createDirectories(folder.resolve("tree").resolve("bin"));
        Path program = Files.writeString(tree.resolve("postgres"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = folder.resolve("tree");
        assertThat(Platform.isSafeTree(root)).isTrue();

        Files.setAttribute(program, "unix:uid", 54321, LinkOption.NOFOLLOW_LINKS);

        assertThat(Platform.isSafeTree(root)).isFalse();
    }

    @Test
    void sharedFolderIsSafeWhenStickyOrOnlyWritableByItsOwner(@TempDir Path folder) throws Exception {
        Path shared = Files.createDirectory(folder.resolve("shared"));
        Platform.setMode(shared, 01777);
        assertThat(Platform.isSafeFolder(shared)).isTrue();
        Platform.setMode(shared, 0777);
        assertThat(Platform.isSafeFolder(shared)).isFalse();
        Platform.setMode(shared, 0755);
        assertThat(Platform.isSafeFolder(shared)).isTrue();
        if (Platform.isRoot()) {
            Platform.setMode(shared, 01777);
            Files.setAttribute(shared, "unix:uid", 54321, LinkOption.NOFOLLOW_LINKS);
            assertThat(Platform.isSafeFolder(shared)).isFalse();
        }
    }
}
