package io.nexs.postgres;

import java.util.List;

import javax.sql.DataSource;

import io.nexs.postgres.hook.HookRegistry;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.FailoverInProgressException;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.tx.RetryStatistics;

/**
 * The entry point to nexs-postgres: the queries, statements and transactions of {@link PostgresOperations} routed
 * over the application's PostgreSQL nodes, the nodes themselves, and the {@link DataSource} that Spring's JDBC
 * support, {@code @Transactional} and migration tools use.
 *
 * <p>Outside a transaction, queries ({@code queryAll}, {@code queryOne}, {@code queryCount}, {@code stream},
 * {@code forEach}) follow the configured read preference and everything else goes to the primary. Inside a
 * transaction every call runs on the transaction's connection: the primary, or a replica for a read-only
 * transaction. {@link #withReadPreference(ReadPreference)} chooses the preference for some calls:
 * <pre>{@code
 * // must see the order the request just wrote
 * Optional<Order> order = postgres.withReadPreference(ReadPreference.PRIMARY)
 *         .queryOne(Order.class, "select * from orders where id = ?", id);
 * }</pre>
 */
public interface PostgresProvider extends PostgresOperations {

    /**
     * The {@link DataSource} that application code should use: read-only Spring transactions run on a replica
     * chosen by the read preference, everything else on the primary.
     * @return the data source
     */
    DataSource dataSource();

    /**
     * The pool of the node that takes writes now.
     * @return the primary's pool
     * @throws FailoverInProgressException when no node can take writes right now
     */
    NodePool primary();

    /**
     * The pools of every node, in configuration order.
     * @return the pools, never empty
     */
    List<NodePool> nodes();

    /**
     * The nodes with their states and roles, and the operations that put a node in maintenance, drain it, add
     * one or remove one.
     * @return the topology
     */
    ClusterTopology topology();

    /**
     * The same operations with another read preference for queries outside a transaction and for read-only
     * transactions begun through them.
     * @param preference which nodes may serve reads
     * @return the operations; cheap, and may be kept
     */
    PostgresOperations withReadPreference(ReadPreference preference);

    /**
     * The hooks called around this provider's work; hooks can be added and removed here at run time.
     * @return the hook registry
     */
    HookRegistry hooks();

    /**
     * What retrying has done since start-up: attempts, retries, successes after a retry, exhausted retries, and
     * commits whose lost connection was settled by the outcome check.
     * @return the statistics now
     */
    RetryStatistics retryStatistics();

}
