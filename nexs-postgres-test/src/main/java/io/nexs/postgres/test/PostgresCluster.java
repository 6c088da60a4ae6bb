package io.nexs.postgres.test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A primary plus streaming standbys with real physical replication through replication slots. The standbys are
 * cold copies of the primary's data folder taken before its first start, so no base backup tool is needed.
 *
 * <p>Nodes are named {@code primary}, {@code standby1}, {@code standby2}, ...; a standby's name is its
 * {@code application_name} and, with {@code synchronous(true)}, {@code standby1} is the synchronous standby
 * (the others are potential ones, {@code FIRST 1}).
 *
 * <p>Note for failover tests: after the synchronous standby has been promoted, commits on the old primary wait
 * forever for it, so give such statements a timeout.
 */
public final class PostgresCluster implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(PostgresCluster.class);

    private static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(60);

    private final PostgresNode primary;

    private final List<PostgresNode> standbys;

    private final boolean synchronous;

    private PostgresCluster(PostgresNode primary, List<PostgresNode> standbys, boolean synchronous) {
        this.primary = primary;
        this.standbys = Collections.unmodifiableList(standbys);
        this.synchronous = synchronous;
    }

    /** A builder; defaults: one asynchronous standby, durable nodes. */
    public static Builder builder() {
        return new Builder();
    }

    /** The node started as primary; after a {@link PostgresNode#promote() promotion} it is still the original one. */
    public PostgresNode primary() {
        return this.primary;
    }

    /** The standbys in order ({@code standby1} first). */
    public List<PostgresNode> standbys() {
        return this.standbys;
    }

    /** All nodes, primary first. */
    public List<PostgresNode> nodes() {
        List<PostgresNode> nodes = new ArrayList<>();
        nodes.add(this.primary);
        nodes.addAll(this.standbys);
        return Collections.unmodifiableList(nodes);
    }

    /**
     * A PgJDBC URL naming every node, primary first, for database {@code postgres}: what an application that is
     * given the whole cluster is configured with, e.g. {@code jdbc:postgresql://127.0.0.1:5432,127.0.0.1:5433/postgres}.
     */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** {@link #jdbcUrl()} for another database. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + nodes().stream()
            .map((node) -> node.host() + ":" + node.port())
            .collect(Collectors.joining(",")) + "/" + database;
    }

    /**
     * How many client sessions carry this {@code application_name} on all nodes together, for instance to check that
     * an application closed every connection when it stopped. A server ends a session shortly after its connection
     * closes, not at once: await zero rather than expect it.
     */
    public long sessions(String applicationName) {
        long sessions = 0;
        for (PostgresNode node : nodes()) {
            try (Connection connection = node.connect();
                    PreparedStatement statement = connection.prepareStatement("select count(*) from pg_stat_activity "
                            + "where application_name = ? and backend_type = 'client backend'")) {
                statement.setString(1, applicationName);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    sessions += rows.getLong(1);
                }
            }
            catch (SQLException ex) {
                throw new PostgresNodeException("sessions", node.name(), "cannot read pg_stat_activity: "
                        + ex.getMessage(), node.logTail(40), ex);
            }
        }
        return sessions;
    }

    /** Whether the primary was configured with a synchronous standby. */
    public boolean isSynchronous() {
        return this.synchronous;
    }

    /** Name of the physical replication slot the standby streams from. */
    public static String slotName(PostgresNode standby) {
        return standby.name().replaceAll("[^a-z0-9_]", "_") + "_slot";
    }

    /**
     * Waits until the standby has replayed the WAL the primary had written when this method was called
     * ({@code pg_current_wal_insert_lsn()} on the primary, which also counts WAL not yet flushed when commits
     * are asynchronous).
     */
    public void awaitReplay(PostgresNode standby, Duration timeout) {
        String lsn = currentLsn();
        awaitReplayOf(standby, lsn, timeout);
    }

    /** {@link #awaitReplay(PostgresNode, Duration)} for every standby, against one primary position. */
    public void awaitReplay(Duration timeout) {
        String lsn = currentLsn();
        for (PostgresNode standby : this.standbys) {
            awaitReplayOf(standby, lsn, timeout);
        }
    }

    /** Closes every node (immediate stop, folder deleted), standbys first. */
    @Override
    public void close() {
        List<PostgresNode> reversed = new ArrayList<>(nodes());
        Collections.reverse(reversed);
        RuntimeException failure = null;
        for (PostgresNode node : reversed) {
            try {
                node.close();
            }
            catch (RuntimeException ex) {
                if (failure == null) {
                    failure = ex;
                }
                else {
                    failure.addSuppressed(ex);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + nodes().stream().map(PostgresNode::toString).collect(Collectors.joining(", "))
                + "]";
    }

    private String currentLsn() {
        try (Connection connection = this.primary.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select pg_current_wal_insert_lsn()::text")) {
            rows.next();
            return rows.getString(1);
        }
        catch (SQLException ex) {
            throw new PostgresNodeException("replay", this.primary.name(), "cannot read pg_current_wal_insert_lsn(): "
                    + ex.getMessage(), this.primary.logTail(40), ex);
        }
    }

    private static void awaitReplayOf(PostgresNode standby, String lsn, Duration timeout) {
        // The literal is an LSN read from the server, so inlining it is safe and keeps awaitTrue simple.
        standby.awaitTrue("replay", "select coalesce(pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn, false)",
                timeout);
    }

    private static void awaitStreaming(PostgresNode primary, PostgresNode standby) {
        primary.awaitTrue("replicate", "select exists (select 1 from pg_stat_replication where application_name = '"
                + standby.name() + "' and state = 'streaming')", STREAMING_TIMEOUT);
    }

    private static void createSlots(PostgresNode primary, List<PostgresNode> standbys) {
        try (Connection connection = primary.connect();
                PreparedStatement statement = connection.prepareStatement(
                        "select pg_create_physical_replication_slot(?, true)")) {
            for (PostgresNode standby : standbys) {
                statement.setString(1, slotName(standby));
                statement.execute();
            }
        }
        catch (SQLException ex) {
            throw new PostgresNodeException("replicate", primary.name(), "cannot create replication slots: "
                    + ex.getMessage(), primary.logTail(40), ex);
        }
    }

    /** Fluent configuration of a {@link PostgresCluster}. */
    public static final class Builder {

        private @Nullable String version;

        private int standbys = 1;

        private boolean synchronous;

        private boolean durable = true;

        private @Nullable String password;

        private boolean closeOnJvmExit = true;

        private final Map<String, String> settings = new LinkedHashMap<>();

        Builder() {
        }

        /** Version of the binaries; default as for {@link PostgresNode.Builder#version(String)}. */
        public Builder version(String version) {
            this.version = version;
            return this;
        }

        /** Number of streaming standbys (0 or more; default 1). */
        public Builder standbys(int standbys) {
            if (standbys < 0) {
                throw new IllegalArgumentException("standbys must not be negative: " + standbys);
            }
            this.standbys = standbys;
            return this;
        }

        /** Whether commits on the primary wait for {@code standby1} ({@code synchronous_standby_names}). */
        public Builder synchronous(boolean synchronous) {
            this.synchronous = synchronous;
            return this;
        }

        /**
         * Durable nodes (the default for clusters) keep fsync and friends on; see
         * {@link PostgresNode.Builder#durable(boolean)}.
         */
        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /**
         * A password for user {@code postgres} on every node, instead of trust authentication; standbys then
         * stream with it too. See {@link PostgresNode.Builder#password(String)}.
         */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** Whether the JVM shutdown hook closes the nodes; see {@link PostgresNode.Builder#closeOnJvmExit(boolean)}. */
        public Builder closeOnJvmExit(boolean closeOnJvmExit) {
            this.closeOnJvmExit = closeOnJvmExit;
            return this;
        }

        /** A server setting for every node of the cluster. */
        public Builder setting(String key, String value) {
            this.settings.put(key, value);
            return this;
        }

        /** Creates the nodes, starts them and waits until every standby is streaming. */
        public PostgresCluster start() {
            if (this.synchronous && this.standbys == 0) {
                throw new IllegalArgumentException("a synchronous cluster needs at least one standby");
            }
            long started = System.nanoTime();
            List<PostgresNode> created = new ArrayList<>();
            try {
                PostgresNode primary = PostgresNode.initialize(nodeBuilder("primary"));
                created.add(primary);
                if (this.password == null) {
                    // with a password, initdb's rules already let the standbys stream with it
                    primary.addHbaLine("host replication all 127.0.0.1/32 trust");
                }
                List<PostgresNode> standbyNodes = new ArrayList<>();
                for (int i = 1; i <= this.standbys; i++) {
                    PostgresNode standby = PostgresNode.copyOf(primary, nodeBuilder("standby" + i));
                    created.add(standby);
                    standbyNodes.add(standby);
                }
                // Only the primary waits for a synchronous standby; a promoted standby must not inherit that.
                if (this.synchronous) {
                    primary.putSetting("synchronous_standby_names", synchronousNames(standbyNodes));
                }
                primary.startServer(true);
                createSlots(primary, standbyNodes);
                for (PostgresNode standby : standbyNodes) {
                    standby.configureAsStandby(primary, slotName(standby));
                    standby.startServer(true);
                }
                for (PostgresNode standby : standbyNodes) {
                    awaitStreaming(primary, standby);
                }
                PostgresCluster cluster = new PostgresCluster(primary, standbyNodes, this.synchronous);
                logger.info("Started PostgreSQL cluster with {} {} standbys in {} ms", standbyNodes.size(),
                        this.synchronous ? "synchronous" : "asynchronous", (System.nanoTime() - started) / 1_000_000);
                return cluster;
            }
            catch (RuntimeException ex) {
                for (PostgresNode node : created) {
                    try {
                        node.close();
                    }
                    catch (RuntimeException closing) {
                        ex.addSuppressed(closing);
                    }
                }
                throw ex;
            }
        }

        private PostgresNode.Builder nodeBuilder(String name) {
            PostgresNode.Builder builder = PostgresNode.builder().name(name).durable(this.durable)
                .closeOnJvmExit(this.closeOnJvmExit);
            if (this.password != null) {
                builder.password(this.password);
            }
            if (this.version != null) {
                builder.version(this.version);
            }
            this.settings.forEach(builder::setting);
            return builder;
        }

        private static String synchronousNames(List<PostgresNode> standbys) {
            String names = standbys.stream().map((standby) -> '"' + standby.name() + '"')
                    .collect(Collectors.joining(", "));
            return standbys.size() == 1 ? names : "FIRST 1 (" + names + ")";
        }
    }
}
