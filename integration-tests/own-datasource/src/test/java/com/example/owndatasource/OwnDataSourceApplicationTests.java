package com.example.owndatasource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proves the own-data-source shape: nexs-postgres keeps the application's {@code DataSource}, opens no pool of its
 * own and says so at debug level, and its query API ({@code PostgresTemplate}) writes and reads over that data
 * source in {@code @Transactional} methods; the application leaves no session behind when it stops. There is one
 * data source, so nothing is routed.
 *
 * <p>The context is closed after the class ({@code @DirtiesContext}) and the cluster after that: JUnit closes
 * {@code @AutoClose} fields after the Spring extension's own after-all work.
 */
@SpringBootTest(properties = "logging.level.io.nexs.postgres=debug")
@ExtendWith(OutputCaptureExtension.class)
@DirtiesContext
class OwnDataSourceApplicationTests {

    @AutoClose
    static PostgresCluster cluster;

    @Autowired
    private ApplicationContext context;

    @Autowired
    private NoteService notes;

    @BeforeAll
    static void startCluster() {
        cluster = TestDatabase.start();
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, cluster);
    }

    @Test
    void keepsTheApplicationsDataSourceAndAddsATemplateOverIt() {
        assertThat(this.context.getBeanNamesForType(DataSource.class)).containsExactly("dataSource");
        assertThat(this.context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
        assertThat(this.context.getBeanNamesForType(PostgresProvider.class)).isEmpty();
        assertThat(this.context.getBean(PostgresOperations.class)).isInstanceOf(PostgresTemplate.class);
        assertThat(this.context.getBean(PostgresOperations.class)
            .queryOne(String.class, "select current_setting('application_name')")).hasValue("own-datasource");
    }

    @Test
    void opensNoPoolOfItsOwn() throws Exception {
        this.notes.add("opened the application's pool");
        for (PostgresNode node : cluster.nodes()) {
            try (Connection connection = node.connect();
                    PreparedStatement statement = connection.prepareStatement("select count(*) from pg_stat_activity "
                            + "where backend_type = 'client backend' and pid <> pg_backend_pid() "
                            + "and application_name <> 'own-datasource'");
                    ResultSet rows = statement.executeQuery()) {
                rows.next();
                assertThat(rows.getLong(1)).as("sessions on %s that are not the application's", node.name())
                    .isZero();
            }
        }
    }

    @Test
    void saysAtDebugLevelThatItOpensNoPool(CapturedOutput output) {
        // only io.nexs.postgres logs at debug level here; the console pattern shortens logger names
        assertThat(output.getOut()).containsPattern("(?m)^\\S+\\s+DEBUG\\b.*opens no pool");
    }

    @Test
    void writesAndReadsThroughTheTransactionalService() throws Exception {
        long id = this.notes.add("written on the application's data source");
        try (Connection connection = cluster.primary().connect();
                PreparedStatement statement = connection.prepareStatement("select text from note where id = ?")) {
            statement.setLong(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("written on the application's data source");
            }
        }
        assertThat(this.notes.find(id)).hasValue(new Note(id, "written on the application's data source"));
    }

    @Test
    void closingTheApplicationEndsEverySessionItOpened() throws Exception {
        String applicationName = "own-datasource-shutdown-check";
        try (ConfigurableApplicationContext application = new SpringApplicationBuilder(OwnDataSourceApplication.class)
            .run(TestDatabase.arguments(cluster, applicationName))) {
            long id = application.getBean(NoteService.class).add("written before shutdown");
            assertThat(application.getBean(NoteService.class).find(id)).isPresent();
            assertThat(TestDatabase.sessions(cluster, applicationName)).isPositive();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(TestDatabase.sessions(cluster, applicationName)).isZero());
    }

}
