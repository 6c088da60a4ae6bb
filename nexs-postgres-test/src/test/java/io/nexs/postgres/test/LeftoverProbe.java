package io.nexs.postgres.test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Separate JVM for {@link LeftoverTests}: starts a node, reports it, and waits to be killed.
 *
 * <p>With argument {@code owned} the node is built with {@code closeOnJvmExit(false)} and closed by a shutdown
 * hook of the probe itself, like a Spring bean's destroy method: that hook first waits for the kit's shutdown
 * hook to finish, then checks that the server still answers ({@code DRAINED}) and closes the node
 * ({@code CLOSED}).
 */
public final class LeftoverProbe {

    private LeftoverProbe() {
    }

    /**
     * Starts the probe.
     * @param args nothing, or {@code owned}
     * @throws Exception if the node cannot be started
     */
    public static void main(String[] args) throws Exception {
        boolean owned = args.length > 0 && args[0].equals("owned");
        PostgresNode node = PostgresNode.builder().closeOnJvmExit(!owned).start();
        if (owned) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> drainAndClose(node), "probe-owner"));
        }
        System.out.println("READY " + node.postmasterPid() + " " + node.nodeDirectory());
        System.out.flush();
        // Blocks until the test kills this JVM (or closes our stdin).
        while (System.in.read() >= 0) {
            // ignore input
        }
    }

    private static void drainAndClose(PostgresNode node) {
        try {
            awaitKitShutdownHook();
            try (Connection connection = node.connect(); Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("select 1")) {
                rows.next();
                System.out.println("DRAINED " + rows.getInt(1));
            }
        }
        catch (SQLException | InterruptedException ex) {
            System.out.println("DRAIN FAILED " + ex);
        }
        finally {
            node.close();
            System.out.println("CLOSED");
            System.out.flush();
        }
    }

    /** Shutdown hooks start in no particular order: the kit's may not even have started yet. */
    private static void awaitKitShutdownHook() throws InterruptedException {
        Thread hook = NodeRegistry.shutdownHook();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (hook != null && hook.getState() != Thread.State.TERMINATED && System.nanoTime() - deadline < 0) {
            hook.join(20);
            Thread.onSpinWait();
        }
    }
}
