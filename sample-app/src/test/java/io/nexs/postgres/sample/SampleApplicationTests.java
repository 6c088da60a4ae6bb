package io.nexs.postgres.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.json.JsonParser;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Boots the sample on a random port, on its embedded PostgreSQL, and uses it over HTTP as a client would.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

    private final HttpClient http = HttpClient.newHttpClient();

    private final JsonParser json = JsonParserFactory.getJsonParser();

    @LocalServerPort
    private int port;

    @Autowired
    private PostgresNode embeddedPostgres;

    @Autowired
    private PostgresProvider provider;

    @Test
    void runsOnTheEmbeddedPostgresWhenNoServerIsConfigured() {
        assertThat(this.provider.primary().name()).isEqualTo("127.0.0.1:" + this.embeddedPostgres.port());
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
    void rejectsBadOrdersAndUnknownIds() throws Exception {
        HttpResponse<String> bad = postOrder("{\"customer\":\"\",\"total\":-1}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(get("/api/orders/987654321").statusCode()).isEqualTo(404);
    }

    @Test
    @SuppressWarnings("unchecked")
    void healthShowsTheNodeAndItsRole() throws Exception {
        HttpResponse<String> response = get("/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> health = this.json.parseMap(response.body());
        assertThat(health).containsEntry("status", "UP");
        Map<String, Object> nexs = (Map<String, Object>) ((Map<String, Object>) health.get("components"))
            .get("nexsPostgres");
        assertThat(nexs).containsEntry("status", "UP");
        Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) nexs.get("components"))
            .get("127.0.0.1:" + this.embeddedPostgres.port());
        Map<String, Object> details = (Map<String, Object>) node.get("details");
        assertThat(details).containsEntry("role", "primary").containsKeys("version", "latencyMs", "pool");
    }

    @Test
    void prometheusShowsThePoolGauges() throws Exception {
        HttpResponse<String> response = get("/actuator/prometheus");
        assertThat(response.statusCode()).isEqualTo(200);
        String node = "node=\"127.0.0.1:" + this.embeddedPostgres.port() + "\"";
        assertThat(response.body().lines()).anySatisfy((line) -> assertThat(line)
            .startsWith("db_connections_active{")
            .contains(node));
        assertThat(response.body()).contains("db_connections_idle{", "db_connections_pending{",
                "db_connections_max{");
        assertThat(response.body().lines().filter((line) -> line.startsWith("db_connections_max{")))
            .singleElement()
            .asString()
            .endsWith(" 10.0");
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
        return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + this.port + path);
    }

}
