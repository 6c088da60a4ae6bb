package com.example.owndatasource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.sql.DataSource;

import com.example.checks.ClusterTests;
import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the own-data-source shape: nexs-postgres keeps the application's {@code DataSource}, opens no pool of its
 * own and says so at debug level, and its query API ({@code PostgresTemplate}) writes and reads over that data
 * source in {@code @Transactional} methods; the application leaves no session behind when it stops. There is one
 * data source, so nothing is routed.
 *
 * <p>The application's own data source knows only the primary; the standby is there to show that nothing connects
 * to it. {@link ClusterTests} gives nexs-postgres the whole cluster as well, so the test context also shows that
 * nexs-postgres keeps the application's data source when its own connection is configured.
 */
@SpringBootTest(properties = "logging.level.io.nexs.postgres=debug")
@ExtendWith(OutputCaptureExtension.class)
class OwnDataSourceApplicationTests extends ClusterTests {

    @Autowired
    private ApplicationContext context;

    @Autowired
    private NoteService notes;

    @DynamicPropertySource
    static void connectApplicationDataSource(DynamicPropertyRegistry registry) {
        dataSource().forEach((name, value) -> registry.add(name, () -> value));
    }

    @Test
    void keepsTheApplicationsDataSourceAndAddsATemplateOverIt() {
        assertThat(this.context.getBeanNamesForType(DataSource.class)).containsExactly("dataSource");
        assertThat(this.context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
        assertThat(this.context.getBeanNamesForType(PostgresProvider.class)).isEmpty();
        assertThat(this.context.getBean(PostgresOperations.class)).isInstanceOf(PostgresTemplate.class);
        assertThat(this.context.getBean(PostgresOperations.class)
            .queryOne(String.class, "select current_setting('application_name')")).hasValue("own-datasource");
        // nothing of ours is routed here, so Spring Boot's transaction manager stays
        assertThat(this.context.getBean(PlatformTransactionManager.class))
            .isExactlyInstanceOf(JdbcTransactionManager.class);
    }

    @Test
    void opensNoPoolOfItsOwn() throws Exception {
        this.notes.add("opened the application's pool");
        for (PostgresNode node : cluster().nodes()) {
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
        assertThat(textOnPrimary(id)).hasValue("written on the application's data source");
        assertThat(this.notes.find(id)).hasValue(new Note(id, "written on the application's data source"));
    }

    @Test
    void closingTheApplicationEndsEverySessionItOpened() {
        String applicationName = "own-datasource-shutdown-check";
        Map<String, String> properties = dataSource();
        properties.put("app.datasource.data-source-properties[ApplicationName]", applicationName);
        assertClosingEndsEverySession(new SpringApplicationBuilder(OwnDataSourceApplication.class), applicationName,
                (running) -> {
                    long id = running.getBean(NoteService.class).add("written before shutdown");
                    assertThat(running.getBean(NoteService.class).find(id)).isPresent();
                }, commandLine(properties));
    }

    /** Points the application's own data source at the primary. */
    private static Map<String, String> dataSource() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("app.datasource.jdbc-url", cluster().primary().jdbcUrl());
        properties.put("app.datasource.username", cluster().primary().username());
        properties.put("app.datasource.password", cluster().primary().password());
        return properties;
    }

}
