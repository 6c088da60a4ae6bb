package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Servers of JVMs that end (gracefully or not) must not survive them. */
class LeftoverTest {

    @Test
    void shutdownHookStopsNodesOnSigterm() throws Exception {
        Process probe = startProbe();
        String[] ready = awaitReady(probe);
        long postmaster = Long.parseLong(ready[1]);
        Path folder = Path.of(ready[2]);
        List<Long> processes = processesOf(postmaster);

        probe.destroy(); // SIGTERM

        assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(processes).noneMatch(Platform::isAlive);
        assertThat(folder).doesNotExist();
    }

    @Test
    void leftoversOfAKilledJvmAreReaped() throws Exception {
        Process probe = startProbe();
        String[] ready = awaitReady(probe);
        long postmaster = Long.parseLong(ready[1]);
        Path folder = Path.of(ready[2]);
        List<Long> processes = processesOf(postmaster);

        probe.destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Platform.isAlive(postmaster)).isTrue();
        assertThat(folder.resolve(NodeRegistry.OWNER_FILE)).exists();

        NodeRegistry.reapLeftovers();

        await().atMost(Duration.ofSeconds(10)).until(() -> processes.stream().noneMatch(Platform::isAlive));
        assertThat(folder).doesNotExist();
    }

    @Test
    void nodesOfLiveJvmsAreLeftAlone() throws Exception {
        try (PostgresNode node = PostgresNode.start()) {
            NodeRegistry.reapLeftovers();
            assertThat(node.isRunning()).isTrue();
            assertThat(Files.isDirectory(node.dataDirectory())).isTrue();
        }
    }

    private static Process startProbe() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        String version = System.getProperty(PostgresBinaries.VERSION_PROPERTY);
        if (version != null) {
            command.add("-D" + PostgresBinaries.VERSION_PROPERTY + "=" + version);
        }
        command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        command.add(LeftoverProbe.class.getName());
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static String[] awaitReady(Process probe) throws Exception {
        BufferedReader output = new BufferedReader(new InputStreamReader(probe.getInputStream(),
                StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = output.readLine()) != null) {
            if (line.startsWith("READY ")) {
                // Keep draining so the probe never blocks on a full pipe.
                Thread drainer = new Thread(() -> {
                    try {
                        while (output.readLine() != null) {
                            // discard
                        }
                    } catch (java.io.IOException e) {
                        // probe gone
                    }
                });
                drainer.setDaemon(true);
                drainer.start();
                return line.split(" ");
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("probe ended without starting a node:\n" + seen);
    }

    private static List<Long> processesOf(long postmaster) {
        List<Long> processes = new ArrayList<>(PostgresNodeTest.descendants(postmaster));
        processes.add(postmaster);
        assertThat(processes).hasSizeGreaterThan(1);
        return processes;
    }
}
