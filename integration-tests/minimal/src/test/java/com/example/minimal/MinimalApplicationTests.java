package com.example.minimal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

import io.micrometer.observation.ObservationRegistry;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresCluster;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proves the minimal shape: the application starts with nothing but {@code spring-boot-starter} and nexs-postgres,
 * writes on the primary, reads on the standby and leaves no session behind when it stops.
 *
 * <p>The context is closed after the class ({@code @DirtiesContext}) and the cluster after that: JUnit closes
 * {@code @AutoClose} fields after the Spring extension's own after-all work.
 */
@SpringBootTest
@DirtiesContext
class MinimalApplicationTests {

    @AutoClose
    static PostgresCluster cluster;

    @Autowired
    private ApplicationContext context;

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

    @ParameterizedTest
    @ValueSource(strings = { "io.micrometer.core.instrument.MeterRegistry",
            "io.micrometer.core.instrument.binder.MeterBinder",
            "org.springframework.boot.actuate.endpoint.annotation.Endpoint",
            "org.springframework.boot.health.contributor.HealthIndicator",
            "tools.jackson.databind.json.JsonMapper", "com.fasterxml.jackson.databind.ObjectMapper",
            "org.springframework.web.servlet.DispatcherServlet" })
    void classpathHasNoneOfTheOptionalIntegrations(String className) {
        assertThat(ClassUtils.isPresent(className, getClass().getClassLoader())).as(className).isFalse();
    }

    @Test
    void startsOnTheClusterWithoutAnObservationRegistry() {
        // Spring Framework's spring-context depends on micrometer-observation, so the class is always there;
        // without spring-boot-micrometer-observation nothing makes a registry of it.
        assertThat(this.context.getBeanProvider(ObservationRegistry.class).getIfAvailable()).isNull();
        assertThat(this.context.getBean(PostgresProvider.class).primary().name())
            .isEqualTo(cluster.primary().host() + ":" + cluster.primary().port());
    }

    @Test
    void writesThroughTheTransactionalServiceOnThePrimary() throws Exception {
        long id = this.notes.add("written on the primary");
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
        long id = this.notes.add("read on the standby");
        TransactionTemplate readOnly = new TransactionTemplate(this.transactionManager);
        readOnly.setReadOnly(true);
        readOnly.executeWithoutResult((status) -> {
            assertThat(this.jdbc.sql("select pg_is_in_recovery()").query(Boolean.class).single()).isTrue();
            assertThat(this.notes.find(id)).hasValue(new Note(id, "read on the standby"));
        });
    }

    @Test
    void closingTheApplicationEndsEverySessionItOpened() throws Exception {
        String applicationName = "minimal-shutdown-check";
        try (ConfigurableApplicationContext application = new SpringApplicationBuilder(MinimalApplication.class)
            .run(TestDatabase.arguments(cluster, applicationName))) {
            long id = application.getBean(NoteService.class).add("written before shutdown");
            assertThat(application.getBean(NoteService.class).find(id)).isPresent();
            assertThat(TestDatabase.sessions(cluster, applicationName)).isPositive();
        }
        await().atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(TestDatabase.sessions(cluster, applicationName)).isZero());
    }

}
