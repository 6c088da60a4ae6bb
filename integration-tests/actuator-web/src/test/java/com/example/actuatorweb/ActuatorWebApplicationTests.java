package com.example.actuatorweb;

import java.util.Map;
import java.util.Optional;

import com.example.checks.ApplicationShapeTests;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the Spring MVC + Actuator shape: the application starts on a random port, {@code /actuator/health} is
 * {@code UP} with a {@code nexsPostgres} component, notes are written over HTTP and through the service on the
 * primary and read in read-only transactions on the standby, and the application leaves no session behind when it
 * stops (the last three are the checks of {@link ApplicationShapeTests}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ActuatorWebApplicationTests extends ApplicationShapeTests {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON_OBJECT =
            new ParameterizedTypeReference<>() {
            };

    @LocalServerPort
    private int port;

    private RestClient http;

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
                cluster().primary().host() + ":" + cluster().primary().port(),
                cluster().standbys().get(0).host() + ":" + cluster().standbys().get(0).port());
    }

    @Test
    void writesOverHttpOnThePrimaryAndReadsItBack() throws Exception {
        ResponseEntity<Note> created = this.http.post().uri("/notes").body(Map.of("text", "posted"))
            .retrieve()
            .toEntity(Note.class);
        assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        long id = created.getBody().id();
        assertThat(created.getHeaders().getLocation()).hasPath("/notes/" + id);
        assertThat(textOnPrimary(id)).hasValue("posted");
        ResponseEntity<Note> read = this.http.get().uri("/notes/{id}", id).retrieve().toEntity(Note.class);
        assertThat(read.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(read.getBody()).isEqualTo(new Note(id, "posted"));
    }

    @Override
    protected long addNote(ApplicationContext context, String text) {
        return context.getBean(NoteService.class).add(text).id();
    }

    @Override
    protected Optional<NoteRow> findNote(ApplicationContext context, long id) {
        return context.getBean(NoteService.class).find(id).map((note) -> new NoteRow(note.id(), note.text()));
    }

    @Override
    protected SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(ActuatorWebApplication.class).properties("server.port=0");
    }

}
