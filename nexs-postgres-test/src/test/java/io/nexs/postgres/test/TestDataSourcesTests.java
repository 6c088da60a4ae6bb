package io.nexs.postgres.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TestDataSourcesTests {

    @Test
    void poolsConnectionsToTheNodeWithTheLibrarysDriverProperties(PostgresNode node) throws SQLException {
        try (HikariDataSource dataSource = TestDataSources.pooled(node, 2)) {
            assertThat(dataSource.getMaximumPoolSize()).isEqualTo(2);
            assertThat(dataSource.getDataSourceProperties()).containsEntry("reWriteBatchedInserts", "true")
                .containsEntry("logServerErrorDetail", "false");
            try (Connection connection = dataSource.getConnection();
                    Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("select inet_server_port()")) {
                assertThat(result.next()).isTrue();
                assertThat(result.getInt(1)).isEqualTo(node.port());
            }
        }
    }

    @Test
    void connectsThroughAnotherAddressOfTheNode(PostgresNode node) throws SQLException {
        try (TcpProxy proxy = TcpProxy.forNode(node);
                HikariDataSource dataSource = TestDataSources.pooled(node, proxy.jdbcUrl(), 1);
                Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("select 1")) {
            assertThat(result.next()).isTrue();
            assertThat(proxy.openConnections()).isEqualTo(1);
        }
    }

}
