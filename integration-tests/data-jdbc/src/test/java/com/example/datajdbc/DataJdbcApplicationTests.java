package com.example.datajdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proves the Spring Data JDBC shape: the repositories start on nexs-postgres's routed data source, a
 * {@code @Transactional} save runs on the primary, a read-only transaction on the standby, and the application
 * leaves no session behind when it stops.
 *
 * <p>The context is closed after the class ({@code @DirtiesContext}) and the cluster after that: JUnit closes
 * {@code @AutoClose} fields after the Spring extension's own after-all work.
 */
@SpringBootTest
@DirtiesContext
class DataJdbcApplicationTests {

    @AutoClose
    static PostgresCluster cluster;

    @Autowired
    private NoteService notes;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @BeforeAll
    static void startCluster() {
        cluster = TestDatabase.start();
    }

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, cluster);
    }

    @Test
    void repositoriesRunOnTheRoutedDataSource(@Autowired PostgresProvider provider, @Autowired DataSource dataSource) {
        assertThat(dataSource).isSameAs(provider.dataSource());
        assertThat(this.transactionManager).isInstanceOfSatisfying(JdbcTransactionManager.class,
                (jdbc) -> assertThat(jdbc.getDataSource()).isSameAs(dataSource));
    }

    @Test
    void writesThroughTheTransactionalServiceOnThePrimary() throws Exception {
        long id = this.notes.add("written on the primary").id();
        try (Connection connection = cluster.primary().connect();
                PreparedStatement statement = connection.prepareStatement("select text from note where id = ?")) {
            statement.setLong(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("written on the primary");
            }
        }
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
        String applicationName = "data-jdbc-shutdown-check";
        try (ConfigurableApplicationContext application = new SpringApplicationBuilder(DataJdbcApplication.class)
            .run(TestDatabase.arguments(cluster, applicationName))) {
            long id = application.getBean(NoteService.class).add("written before shutdown").id();
            assertThat(application.getBean(NoteService.class).find(id)).isPresent();
            assertThat(TestDatabase.sessions(cluster, applicationName)).isPositive();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(TestDatabase.sessions(cluster, applicationName)).isZero());
    }

}
