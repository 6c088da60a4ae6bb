package com.example.minimal;

import java.util.Optional;

import com.example.checks.ApplicationShapeTests;
import io.micrometer.observation.ObservationRegistry;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.tx.PostgresTransactionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the minimal shape: the application starts with nothing but {@code spring-boot-starter} and nexs-postgres,
 * writes on the primary, reads on the standby and leaves no session behind when it stops (the checks of
 * {@link ApplicationShapeTests}), and has none of the optional integrations on its class path.
 */
@SpringBootTest
class MinimalApplicationTests extends ApplicationShapeTests {

    @Autowired
    private ApplicationContext context;

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
            .isEqualTo(cluster().primary().host() + ":" + cluster().primary().port());
    }

    @Test
    void springTransactionsSettleALostCommit() {
        assertThat(this.context.getBean(PlatformTransactionManager.class)).isInstanceOfSatisfying(
                PostgresTransactionManager.class,
                (manager) -> assertThat(manager.getDataSource())
                    .isSameAs(this.context.getBean(PostgresProvider.class).dataSource()));
    }

    @Override
    protected long addNote(ApplicationContext context, String text) {
        return context.getBean(NoteService.class).add(text);
    }

    @Override
    protected Optional<NoteRow> findNote(ApplicationContext context, long id) {
        return context.getBean(NoteService.class).find(id).map((note) -> new NoteRow(note.id(), note.text()));
    }

    @Override
    protected SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(MinimalApplication.class);
    }

}
