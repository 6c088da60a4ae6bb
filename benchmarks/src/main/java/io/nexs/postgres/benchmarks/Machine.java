package io.nexs.postgres.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

import io.nexs.postgres.test.PostgresNode;

/**
 * What the numbers were measured on, printed above every table: results from different machines are not
 * comparable, ratios from the same run are.
 */
final class Machine {

    private Machine() {
    }

    /**
     * Prints cores, CPU model, memory, JVM, OS and the PostgreSQL server of a run.
     * @param benchmark the benchmark's name
     * @param quick whether the run is the short one
     * @param node the server the benchmark uses
     * @throws SQLException when the server cannot be asked for its version
     */
    static void describe(String benchmark, boolean quick, PostgresNode node) throws SQLException {
        describe(benchmark, quick, node, "fsync=off, synchronous_commit=off");
    }

    /**
     * Prints cores, CPU model, memory, JVM, OS and the PostgreSQL server of a run whose servers are set up
     * differently from the throughput benchmarks' single server.
     * @param benchmark the benchmark's name
     * @param quick whether the run is the short one
     * @param node a server the benchmark uses
     * @param setup how the servers are set up, for example {@code fsync=off, synchronous_commit=on}
     * @throws SQLException when the server cannot be asked for its version
     */
    static void describe(String benchmark, boolean quick, PostgresNode node, String setup) throws SQLException {
        Runtime runtime = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "benchmark:  %s (%s)%n", benchmark, quick ? "quick" : "full");
        System.out.printf(Locale.ROOT, "cores:      %d (%s)%n", runtime.availableProcessors(), cpuModel());
        System.out.printf(Locale.ROOT, "memory:     %d MiB max heap%n", runtime.maxMemory() >> 20);
        System.out.printf(Locale.ROOT, "jvm:        %s %s (%s)%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), System.getProperty("java.vm.vendor"));
        System.out.printf(Locale.ROOT, "os:         %s %s %s%n", System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"));
        System.out.printf(Locale.ROOT, "postgresql: %s (binaries %s, %s, %s)%n", serverVersion(node),
                node.version(), setup, node.jdbcUrl());
        System.out.println();
    }

    private static String serverVersion(PostgresNode node) throws SQLException {
        try (Connection connection = node.connect();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("show server_version")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        }
        catch (IOException | RuntimeException ex) {
            // Not Linux, or not readable: the core count alone still says something.
        }
        return "model unknown";
    }

}
