package io.nexs.postgres.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.NodeRole;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.json.JsonParser;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Boots the sample on a random port, on its embedded PostgreSQL, and uses it over HTTP as a client would: sending
 * back the consistency token of the last response, so that it reads its own writes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

    private static final String CONSISTENCY_HEADER = "Nexs-Consistency-Token";

    private final HttpClient http = HttpClient.newHttpClient();

    private final JsonParser json = JsonParserFactory.getJsonParser();

    @LocalServerPort
    private int port;

    @Autowired
    private PostgresCluster embeddedPostgres;

    @Autowired
    private PostgresProvider provider;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private JdbcTemplate jdbcTemplate;

    /** The last consistency token the application sent, sent back with every request as a client would. */
    private @Nullable String consistencyToken;

    @Test
    void runsOnTheEmbeddedPrimaryAndReplicaWhenNoServerIsConfigured() {
        assertThat(this.provider.primary().name()).isEqualTo(name(this.embeddedPostgres.primary()));
        assertThat(this.provider.topology().nodes()).extracting(ClusterNode::name, ClusterNode::role)
            .containsExactly(tuple(name(this.embeddedPostgres.primary()), NodeRole.PRIMARY),
                    tuple(name(this.embeddedPostgres.standbys().get(0)), NodeRole.REPLICA));
    }

    @Test
    void readOnlyTransactionsRunOnTheReplicaAndTheRestOnThePrimary() {
        TransactionTemplate readOnly = new TransactionTemplate(this.transactionManager);
        readOnly.setReadOnly(true);
        Integer readPort = readOnly.execute((status) -> this.jdbcTemplate.queryForObject("select inet_server_port()",
                Integer.class));
        assertThat(readPort).isEqualTo(this.embeddedPostgres.standbys().get(0).port());
        Integer writePort = new TransactionTemplate(this.transactionManager).execute(
                (status) -> this.jdbcTemplate.queryForObject("select inet_server_port()", Integer.class));
        assertThat(writePort).isEqualTo(this.embeddedPostgres.primary().port());
    }

    @Test
    void placesReadsAndListsOrders() throws Exception {
        HttpResponse<String> created = postOrder("{\"customer\":\"Ada\",\"total\":12.50}");
        assertThat(created.statusCode()).isEqualTo(201);
        Map<String, Object> order = this.json.parseMap(created.body());
        assertThat(order).containsEntry("customer", "Ada").containsKey("createdAt");
        Object id = order.get("id");
        assertThat(created.headers().firstValue("Location")).hasValue("/api/orders/" + id);

        HttpResponse<String> read = get("/api/orders/" + id);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(this.json.parseMap(read.body())).containsEntry("customer", "Ada").containsEntry("id", id);

        HttpResponse<String> list = get("/api/orders");
        assertThat(list.statusCode()).isEqualTo(200);
        List<Object> orders = this.json.parseList(list.body());
        assertThat(orders).anySatisfy((entry) -> assertThat(((Map<?, ?>) entry).get("id")).isEqualTo(id));
    }

    @Test
    void aGetAfterAPostFindsTheOrderEvenWhileTheReplicaDoesNotReplay() throws Exception {
        PostgresNode standby = this.embeddedPostgres.standbys().get(0);
        replay(standby, "pause");
        try {
            HttpResponse<String> created = postOrder("{\"customer\":\"Barbara\",\"total\":3.10}");
            assertThat(created.statusCode()).isEqualTo(201);
            assertThat(created.headers().firstValue(CONSISTENCY_HEADER)).isPresent();
            Object id = this.json.parseMap(created.body()).get("id");
            HttpResponse<String> read = get("/api/orders/" + id);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(this.json.parseMap(read.body())).containsEntry("customer", "Barbara");
            // a client that drops the token reads from the replica, which has not replayed the order
            this.consistencyToken = null;
            assertThat(get("/api/orders/" + id).statusCode()).isEqualTo(404);
        }
        finally {
            replay(standby, "resume");
        }
    }

    private static void replay(PostgresNode standby, String action) throws SQLException {
        try (Connection connection = standby.connect(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_wal_replay_" + action + "()");
        }
    }

    @Test
    void auditsEveryWriteWithItsNodeAndNoValues() throws Exception {
        HttpResponse<String> created = postOrder("{\"customer\":\"Grace Hopper-audit\",\"total\":7.25}");
        assertThat(created.statusCode()).isEqualTo(201);
        HttpResponse<String> audit = get("/api/audit");
        assertThat(audit.statusCode()).isEqualTo(200);
        assertThat(audit.body()).doesNotContain("Grace Hopper-audit").doesNotContain("7.25");
        List<Object> entries = this.json.parseList(audit.body());
        assertThat(entries).anySatisfy((entry) -> assertThat(asMap(entry)).containsEntry("action", "insert")
            .containsEntry("table", "orders")
            .containsEntry("node", name(this.embeddedPostgres.primary()))
            .containsEntry("role", "primary")
            .containsEntry("outcome", "ok")
            .containsEntry("rows", 1));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object entry) {
        return (Map<String, Object>) entry;
    }

    @Test
    void rejectsBadOrdersAndUnknownIds() throws Exception {
        HttpResponse<String> bad = postOrder("{\"customer\":\"\",\"total\":-1}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(get("/api/orders/987654321").statusCode()).isEqualTo(404);
    }

    @Test
    @SuppressWarnings("unchecked")
    void healthShowsBothNodesWithTheirRoles() throws Exception {
        HttpResponse<String> response = get("/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> health = this.json.parseMap(response.body());
        assertThat(health).containsEntry("status", "UP");
        Map<String, Object> nexs = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
            .get("nexsPostgres");
        assertThat(nexs).containsEntry("status", "UP");
        Map<String, Object> components = (Map<String, Object>) nexs.get("components");
        Map<String, Object> primary = (Map<String, Object>) ((Map<String, Object>) components
            .get(name(this.embeddedPostgres.primary()))).get("details");
        assertThat(primary).containsEntry("role", "primary")
            .containsEntry("writable", true)
            .containsKeys("version", "latencyMs", "pool");
        Map<String, Object> replica = (Map<String, Object>) ((Map<String, Object>) components
            .get(name(this.embeddedPostgres.standbys().get(0)))).get("details");
        assertThat(replica).containsEntry("role", "replica").containsKeys("lagMs", "latencyMs", "pool");
        Map<String, Object> cluster = (Map<String, Object>) components.get("cluster");
        assertThat(cluster).containsEntry("status", "UP");
    }

    @Test
    @SuppressWarnings("unchecked")
    void readinessFollowsTheCluster() throws Exception {
        HttpResponse<String> response = get("/actuator/health/readiness");
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> readiness = this.json.parseMap(response.body());
        assertThat(readiness).containsEntry("status", "UP");
        assertThat((Map<String, Object>) readiness.get("components")).containsKeys("readinessState", "nexsPostgres");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theNexsPostgresEndpointReportsNodesAndSlowStatementsWithoutValues() throws Exception {
        postOrder("{\"customer\":\"Endpoint-Secret-Customer\",\"total\":4.00}");
        get("/api/orders");
        HttpResponse<String> response = get("/actuator/nexspostgres");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).doesNotContain("Endpoint-Secret-Customer");
        Map<String, Object> report = this.json.parseMap(response.body());
        assertThat(report).containsEntry("primary", name(this.embeddedPostgres.primary()))
            .containsEntry("splitBrain", false)
            .containsKeys("failovers", "retries", "hooks", "safetyFindings");
        assertThat((List<Map<String, Object>>) report.get("nodes")).extracting((node) -> node.get("role"))
            .containsExactlyInAnyOrder("primary", "replica");
        assertThat((List<Map<String, Object>>) report.get("slowestStatements")).isNotEmpty()
            .allSatisfy((statement) -> assertThat(statement).containsKeys("statement", "operation", "durationMs"));
    }

    @Test
    void prometheusShowsThePoolGauges() throws Exception {
        HttpResponse<String> response = get("/actuator/prometheus");
        assertThat(response.statusCode()).isEqualTo(200);
        String node = "node=\"" + name(this.embeddedPostgres.primary()) + "\"";
        assertThat(response.body().lines()).anySatisfy((line) -> assertThat(line)
            .startsWith("db_connections_active{")
            .contains(node));
        assertThat(response.body()).contains("db_connections_idle{", "db_connections_pending{",
                "db_connections_max{");
        assertThat(response.body().lines().filter((line) -> line.startsWith("db_connections_max{")))
            .hasSize(2)
            .allSatisfy((line) -> assertThat(line).endsWith(" 10.0"));
    }

    @Test
    void prometheusExportsEveryMetricTheDashboardAndAlertsUseAsValidText() throws Exception {
        postOrder("{\"customer\":\"Metrics\",\"total\":3.00}");
        get("/api/orders");
        HttpResponse<String> response = get("/actuator/prometheus");
        assertThat(response.statusCode()).isEqualTo(200);
        Set<String> exported = response.body()
            .lines()
            .filter((line) -> !line.startsWith("#") && !line.isBlank())
            .map((line) -> line.split("[{ ]", 2)[0])
            .collect(Collectors.toSet());
        assertThat(exported).containsAll(ObservabilityFilesTests.metricNamesUsed());
        // the names dashboards are promised, whether or not the shipped dashboard uses them
        assertThat(exported).contains("db_query_duration_seconds_bucket", "db_query_duration_seconds_count",
                "db_query_duration_seconds_sum", "db_connections_active", "db_connections_idle",
                "db_connections_pending", "db_connections_max", "db_errors_total", "db_retries_total",
                "db_failovers_total", "db_node_up", "db_node_primary", "db_replica_lag_seconds",
                "db_transactions_total", "db_hook_failures_total", "db_copy_rows_total", "db_copy_buffer_bytes",
                "db_connection_leaks_total", "db_deadlocks_total");
        // promtool also lints; the application's other meters (Tomcat's, the JVM's) have findings of their own,
        // but text that does not parse (exit code 1) fails, and so does any finding about a db_ metric
        ObservabilityFilesTests.Promtool checked = ObservabilityFilesTests.promtool(response.body(), "check",
                "metrics");
        assertThat(checked.exitCode()).as("promtool check metrics printed:%n%s", checked.output()).isIn(0, 3);
        assertThat(checked.output().lines()).noneMatch((line) -> line.startsWith("db_"));
    }

    private static String name(PostgresNode node) {
        return node.host() + ":" + node.port();
    }

    private HttpResponse<String> postOrder(String json) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri("/api/orders"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        if (this.consistencyToken != null) {
            request.header(CONSISTENCY_HEADER, this.consistencyToken);
        }
        HttpResponse<String> response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        response.headers().firstValue(CONSISTENCY_HEADER).ifPresent((token) -> this.consistencyToken = token);
        return response;
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + this.port + path);
    }

}
