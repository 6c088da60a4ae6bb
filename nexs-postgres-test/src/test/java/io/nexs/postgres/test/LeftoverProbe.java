package io.nexs.postgres.test;

/** Separate JVM for {@link LeftoverTest}: starts a node, reports it, and waits to be killed. */
public final class LeftoverProbe {

    private LeftoverProbe() {
    }

    public static void main(String[] args) throws Exception {
        PostgresNode node = PostgresNode.start();
        System.out.println("READY " + node.postmasterPid() + " " + node.nodeDirectory());
        System.out.flush();
        // Blocks until the test kills this JVM (or closes our stdin).
        while (System.in.read() >= 0) {
            // ignore input
        }
    }
}
