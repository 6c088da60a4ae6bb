package com.example.actuatorweb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;

import io.nexs.postgres.test.PostgresCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proves the Spring MVC + Actuator shape: the application starts on a random port, {@code /actuator/health} is
 * {@code UP} with a {@code nexsPostgres} component, notes are written over HTTP on the primary and read in
 * read-only transactions on the standby, and the application leaves no session behind when it stops.
 *
 * <p>The context is closed after the class ({@code @DirtiesContext}) and the cluster after that: JUnit closes
 * {@code @AutoClose} fields after the Spring extension's own after-all work.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class ActuatorWebApplicationTests {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON_OBJECT =
            new ParameterizedTypeReference<>() {
            };

    @AutoClose
    static PostgresCluster cluster;

    @LocalServerPort
    private int port;

    @Autowired
    private NoteService notes;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private PlatformTransactionManager transactionManager;

    private RestClient http;

    @BeforeAll
    static void startCluster() {
        cluster = TestDatabase.start();
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, cluster);
    }

    @BeforeEach
    void connect() {
        this.http = RestClient.create("http://127.0.0.1:" + this.port);
    }

    @Test
    @SuppressWarnings("unchecked")
    void healthIsUpWithTheNexsPostgresComponent() {
        Map<String, Object> health = this.http.get().uri("/actuator/health").retrieve().body(JSON_OBJECT);
        assertThat(health).containsEntry("status", "UP");
        Map<String, Object> components = (Map<String, Object>) health.get("components");
        assertThat(components).containsKey("nexsPostgres");
        Map<String, Object> nexsPostgres = (Map<String, Object>) components.get("nexsPostgres");
        assertThat(nexsPostgres).containsEntry("status", "UP");
        assertThat((Map<String, Object>) nexsPostgres.get("components")).containsKeys(
                cluster.primary().host() + ":" + cluster.primary().port(),
                cluster.standbys().get(0).host() + ":" + cluster.standbys().get(0).port());
    }

    @Test
    void writesOverHttpOnThePrimaryAndReadsItBack() throws Exception {
        ResponseEntity<Note> created = this.http.post().uri("/notes").body(Map.of("text", "posted"))
            .retrieve()
            .toEntity(Note.class);
        assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        long id = created.getBody().id();
        assertThat(created.getHeaders().getLocation()).hasPath("/notes/" + id);
        try (Connection connection = cluster.primary().connect();
                PreparedStatement statement = connection.prepareStatement("select text from note where id = ?")) {
            statement.setLong(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("posted");
            }
        }
        ResponseEntity<Note> read = this.http.get().uri("/notes/{id}", id).retrieve().toEntity(Note.class);
        assertThat(read.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(read.getBody()).isEqualTo(new Note(id, "posted"));
    }

    @Test
    void readOnlyTransactionRunsOnTheStandbyAndSeesTheWrite() {
        long id = this.notes.add("read on the standby").id();
        TransactionTemplate readOnly = new TransactionTemplate(this.transactionManager);
        readOnly.setReadOnly(true);
        readOnly.executeWithoutResult((status) -> {
            assertThat(this.jdbc.sql("select pg_is_in_recovery()").query(Boolean.class).single()).isTrue();
            assertThat(this.notes.find(id)).hasValue(new Note(id, "read on the standby"));
        });
    }

    @Test
    void closingTheApplicationEndsEverySessionItOpened() throws Exception {
        String applicationName = "actuator-web-shutdown-check";
        try (ConfigurableApplicationContext application = new SpringApplicationBuilder(ActuatorWebApplication.class)
            .properties("server.port=0")
            .run(TestDatabase.arguments(cluster, applicationName))) {
            long id = application.getBean(NoteService.class).add("written before shutdown").id();
            assertThat(application.getBean(NoteService.class).find(id)).isPresent();
            assertThat(TestDatabase.sessions(cluster, applicationName)).isPositive();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(TestDatabase.sessions(cluster, applicationName)).isZero());
    }

}
