package io.nexs.postgres.execution;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ReadPreference;
import org.jspecify.annotations.Nullable;

/**
 * Where the {@link OperationRunner} sends work outside a transaction, and what it knows of the node behind a
 * connection. One data source with no nodes behind it ({@link #of(DataSource)}) or a cluster
 * ({@link ClusterRouting}): the runner is given one, rather than subclassed to learn of nodes.
 */
public interface NodeRouting {

    /**
     * Routing to one data source that knows nothing of nodes.
     * @param dataSource the data source for reads and writes
     * @return the routing
     */
    static NodeRouting of(DataSource dataSource) {
        return new SingleDataSource(dataSource);
    }

    /**
     * Connections for statements outside a transaction.
     * @return the data source
     */
    DataSource writes();

    /**
     * Connections for queries outside a transaction.
     * @return the data source
     */
    DataSource reads();

    /**
     * The node behind a connection, for hooks and for telling whether a lost query may run again.
     * @param connection a connection of this routing
     * @return the node, or {@code null} when not known
     */
    default @Nullable ClusterNode nodeOf(Connection connection) {
        return null;
    }

    /**
     * Says more of a failure on a statement than its SQLSTATE does, such as that its node is failing over.
     * @param task the operation, for example {@code queryAll}
     * @param ex the driver's failure
     * @param statement the statement it happened on
     * @param translated the failure translated by SQLSTATE
     * @return the exception to throw
     */
    default RuntimeException describeFailure(String task, SQLException ex, Statement statement,
            RuntimeException translated) {
        return translated;
    }

    /**
     * The read preference that transactions begun through this routing run with, when it is not the data source's
     * own.
     * @return the preference, or {@code null} for the data source's
     */
    default @Nullable ReadPreference transactionReadPreference() {
        return null;
    }

    /** One data source for everything. */
    record SingleDataSource(DataSource dataSource) implements NodeRouting {

        @Override
        public DataSource writes() {
            return this.dataSource;
        }

        @Override
        public DataSource reads() {
            return this.dataSource;
        }

    }

}
