package io.nexs.postgres.topology;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(PostgresExtension.class)
class TopologySmokeTests {

    @Test
    void writesGoToThePrimaryAndReadsToTheReplicaThenFollowAPromotion(@ClusterSpec(standbys = 1) PostgresCluster cluster)
            throws SQLException {
        try (DefaultPostgresProvider provider = new DefaultPostgresProvider(
                Topologies.start(cluster, Topologies.fast()), new RowMappers(UnmappedColumns.IGNORE, null), 100)) {
            int primaryPort = cluster.primary().port();
            int standbyPort = cluster.standbys().get(0).port();
            assertThat(provider.queryCount("select inet_server_port()")).isEqualTo(standbyPort);
            provider.exec("create table t (id int)");
            assertThat(provider.withReadPreference(ReadPreference.PRIMARY).queryCount("select inet_server_port()"))
                .isEqualTo(primaryPort);
            cluster.primary().crash();
            cluster.standbys().get(0).promote();
            long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(provider.topology().primary())
                .hasValueSatisfying((node) -> assertThat(node.name()).isEqualTo("standby1")));
            provider.exec("insert into t values (1)");
            assertThat(provider.queryCount("select count(*) from t")).isEqualTo(1);
            try (Connection connection = provider.dataSource().getConnection();
                    Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("select inet_server_port()")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(standbyPort);
            }
            System.out.println("recovered in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }
    }

}
