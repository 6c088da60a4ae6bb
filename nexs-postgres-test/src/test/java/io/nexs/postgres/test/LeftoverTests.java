package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Servers of JVMs that end (gracefully or not) must not survive them, and the clean-up must hit nothing else. */
class LeftoverTests {

    @Test
    void shutdownHookStopsNodesOnSigterm() throws Exception {
        Probe probe = Probe.start();
        List<Long> processes = processesOf(probe.postmaster());

        probe.process().destroy(); // SIGTERM

        assertThat(probe.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(processes).noneMatch(Platform::isAlive);
        assertThat(probe.folder()).doesNotExist();
    }

    @Test
    void nodeThatIsNotClosedOnJvmExitServesItsOwnerUntilItClosesIt() throws Exception {
        Probe probe = Probe.start("owned");
        List<Long> processes = processesOf(probe.postmaster());

        probe.process().destroy(); // SIGTERM: the kit's hook and the owner's hook run concurrently

        assertThat(probe.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(probe.output()).contains("CLOSED"));
        assertThat(probe.output()).contains("DRAINED 1").doesNotContain("DRAIN FAILED");
        assertThat(processes).noneMatch(Platform::isAlive);
        assertThat(probe.folder()).doesNotExist();
    }

    @Test
    void leftoversOfAKilledJvmAreReaped() throws Exception {
        Probe probe = Probe.start();
        List<Long> processes = processesOf(probe.postmaster());

        probe.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertThat(probe.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Platform.isAlive(probe.postmaster())).isTrue();
        assertThat(probe.folder().resolve(NodeRegistry.OWNER_FILE)).exists();
        assertThat(NodeRegistry.runsDataDirectory(probe.postmaster(), probe.folder().resolve("data"))).isTrue();

        NodeRegistry.reapLeftovers();

        await().atMost(Duration.ofSeconds(10)).until(() -> processes.stream().noneMatch(Platform::isAlive));
        assertThat(probe.folder()).doesNotExist();
    }

    @Test
    void reaperLeavesLiveNodesAndServersOfOtherFoldersAlone() throws Exception {
        try (PostgresNode node = PostgresNode.start()) {
            // A leftover whose stale postmaster.pid names a live PostgreSQL that runs another data folder.
            Path leftover = leftoverFolder();
            Files.createDirectory(leftover.resolve("data"));
            Files.writeString(leftover.resolve("data").resolve("postmaster.pid"), node.postmasterPid() + "\n"
                    + node.dataDirectory() + "\n");
            assertThat(NodeRegistry.runsDataDirectory(node.postmasterPid(), leftover.resolve("data"))).isFalse();
            assertThat(NodeRegistry.runsDataDirectory(node.postmasterPid(), node.dataDirectory())).isTrue();
            assertThat(NodeRegistry.runsDataDirectory(ProcessHandle.current().pid(), node.dataDirectory()))
                    .isFalse();

            NodeRegistry.reapLeftovers();

            assertThat(node.isRunning()).isTrue();
            assertThat(Files.isDirectory(node.dataDirectory())).isTrue();
            assertThat(leftover).doesNotExist();
        }
    }

    @Test
    void reaperLeavesFoldersOfOtherUsersAlone() throws Exception {
        assumeTrue(Platform.isRoot(), "only root can hand a folder to another user");
        Path leftover = leftoverFolder();
        try {
            Files.setAttribute(leftover, "unix:uid", 54321, LinkOption.NOFOLLOW_LINKS);
            assertThat(NodeRegistry.isOurs(leftover)).isFalse();

            NodeRegistry.reapLeftovers();

            assertThat(leftover).isDirectory();
        }
        finally {
            NodeRegistry.deleteTree(leftover);
        }
    }

    /** A node folder, owned by us, of a JVM that is gone. */
    private static Path leftoverFolder() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Path folder = Files.createTempDirectory(NodeRegistry.baseDirectory(), NodeRegistry.NODE_PREFIX + "fake-");
        Files.writeString(folder.resolve(NodeRegistry.OWNER_FILE), gone.pid() + " 0\n");
        return folder;
    }

    private static List<Long> processesOf(long postmaster) {
        List<Long> processes = new ArrayList<>(PostgresNodeTests.descendants(postmaster));
        processes.add(postmaster);
        assertThat(processes).hasSizeGreaterThan(1);
        return processes;
    }

    /**
     * A {@link LeftoverProbe} JVM that has started its node. Its output goes to a file, not a pipe: the JDK
     * closes the pipe of an exited process under a reader that is still waiting for the last lines.
     */
    private record Probe(Process process, long postmaster, Path folder, Path outputFile) {

        static Probe start(String... arguments) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
            String version = System.getProperty(PostgresBinaries.VERSION_PROPERTY);
            if (version != null) {
                command.add("-D" + PostgresBinaries.VERSION_PROPERTY + "=" + version);
            }
            command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
            command.add(LeftoverProbe.class.getName());
            command.addAll(List.of(arguments));
            Path outputFile = Files.createTempFile("nexs-postgres-probe", ".out");
            outputFile.toFile().deleteOnExit();
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(outputFile.toFile()).start();
            String ready = await().atMost(Duration.ofSeconds(60)).until(() -> readyLine(process, outputFile),
                    (line) -> line != null);
            if (ready.isEmpty()) {
                throw new AssertionError("probe ended without starting a node:\n" + Files.readString(outputFile));
            }
            String[] parts = ready.split(" ");
            return new Probe(process, Long.parseLong(parts[1]), Path.of(parts[2]), outputFile);
        }

        /** The READY line; empty if the probe ended without one; {@code null} while it is still starting. */
        private static @Nullable String readyLine(Process process, Path outputFile) throws IOException {
            boolean ended = !process.isAlive();
            for (String line : Files.readAllLines(outputFile)) {
                if (line.startsWith("READY ")) {
                    return line;
                }
            }
            return ended ? "" : null;
        }

        String output() throws IOException {
            return Files.readString(this.outputFile);
        }
    }
}
