package io.nexs.postgres;

import java.util.List;

import javax.sql.DataSource;

import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.query.RowMappers;

/**
 * {@link PostgresProvider} over a single node. Queries run through {@link PostgresTemplate} on the node's pool.
 * Closing the provider drains and closes the pool.
 */
public class DefaultPostgresProvider extends PostgresTemplate implements PostgresProvider, AutoCloseable {

    private final NodePool primary;

    /**
     * Creates a provider over one node with default query settings; the provider owns the pool from now on.
     * @param primary the pool of the node that takes reads and writes
     */
    public DefaultPostgresProvider(NodePool primary) {
        super(primary.dataSource());
        this.primary = primary;
    }

    /**
     * Creates a provider over one node; the provider owns the pool from now on.
     * @param primary the pool of the node that takes reads and writes
     * @param rowMappers the row mappers
     * @param fetchSize rows per round trip of a stream
     */
    public DefaultPostgresProvider(NodePool primary, RowMappers rowMappers, int fetchSize) {
        super(primary.dataSource(), rowMappers, fetchSize);
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
