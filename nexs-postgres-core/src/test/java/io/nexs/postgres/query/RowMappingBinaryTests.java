package io.nexs.postgres.query;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import org.junit.jupiter.api.BeforeAll;

import io.nexs.postgres.test.PostgresNode;

/**
 * Every mapping of {@link RowMappingTests} over a connection that makes PgJDBC use the binary transfer format
 * from the first execution, as it does for a prepared statement run five times or more.
 */
class RowMappingBinaryTests extends RowMappingTests {

    /** Runs after {@link RowMappingTests#start}, which made the schema: swaps its connection for a binary one. */
    @BeforeAll
    static void connectForBinaryTransfer(PostgresNode node) throws SQLException {
        connection.close();
        Properties properties = new Properties();
        properties.setProperty("user", node.username());
        if (node.password() != null) {
            properties.setProperty("password", node.password());
        }
        properties.setProperty("prepareThreshold", "-1");
        properties.setProperty("binaryTransfer", "true");
        connection = DriverManager.getConnection(node.jdbcUrl(), properties);
    }

}
