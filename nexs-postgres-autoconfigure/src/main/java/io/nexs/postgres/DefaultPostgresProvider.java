package io.nexs.postgres;

import java.util.List;

import javax.sql.DataSource;

import io.nexs.postgres.pool.NodePool;

/**
 * {@link PostgresProvider} over a single node. Closing it drains and closes the node's pool.
 */
public class DefaultPostgresProvider implements PostgresProvider, AutoCloseable {

    private final NodePool primary;

    /**
     * Creates a provider over one node; the provider owns the pool from now on.
     * @param primary the pool of the node that takes reads and writes
     */
    public DefaultPostgresProvider(NodePool primary) {
        this.primary = primary;
    }

    @Override
    public DataSource dataSource() {
        return this.primary.dataSource();
    }

    @Override
    public NodePool primary() {
        return this.primary;
    }

    @Override
    public List<NodePool> nodes() {
        return List.of(this.primary);
    }

    /**
     * Waits for borrowed connections to come back, up to the pool's shutdown timeout, then closes the pool.
     */
    @Override
    public void close() {
        this.primary.close();
    }

}
