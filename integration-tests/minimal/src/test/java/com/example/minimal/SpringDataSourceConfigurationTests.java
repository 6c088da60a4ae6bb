package com.example.minimal;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;

import com.example.checks.ClusterTests;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.topology.NodeRole;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application configured only with {@code spring.datasource.url}, {@code username} and {@code password}, as one
 * written for Spring Boot's own DataSource is: nexs-postgres connects to the servers of that URL, routes writes to
 * the primary and read-only transactions to the standby, and says at start-up where its servers came from.
 */
@ExtendWith(OutputCaptureExtension.class)
class SpringDataSourceConfigurationTests extends ClusterTests {

    @Test
    void startsRoutesAndWritesOnTheServersOfSpringDataSourceUrl(CapturedOutput output) throws SQLException {
        String password = cluster().primary().password();
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(MinimalApplication.class).run(
                "--spring.config.name=spring-datasource", "--test-cluster.url=" + cluster().jdbcUrl(),
                "--test-cluster.username=" + cluster().primary().username(), "--test-cluster.password=" + password)) {
            PostgresProvider provider = context.getBean(PostgresProvider.class);
            assertThat(provider.primary().name())
                .isEqualTo(cluster().primary().host() + ":" + cluster().primary().port());
            assertThat(provider.topology().nodes()).extracting((node) -> node.role())
                .containsExactlyInAnyOrder(NodeRole.PRIMARY, NodeRole.REPLICA);

            NoteService notes = context.getBean(NoteService.class);
            long id = notes.add("configured through spring.datasource");
            assertThat(textOnPrimary(id)).hasValue("configured through spring.datasource");

            TransactionTemplate readOnly = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            readOnly.setReadOnly(true);
            // on a thread that wrote nothing, so that read-your-writes cannot send the read to the primary; the
            // standby applies every commit before it returns
            CompletableFuture.runAsync(() -> readOnly.executeWithoutResult((status) -> {
                assertThat(provider.queryOne(Boolean.class, "select pg_is_in_recovery()")).hasValue(true);
                assertThat(notes.find(id)).hasValue(new Note(id, "configured through spring.datasource"));
            }), (work) -> new Thread(work).start()).join();
        }
        assertThat(output).contains("nexs-postgres connects to the servers of spring.datasource.url",
                "Consider setting nexs.postgres.url")
            .doesNotContain(password)
            .doesNotContain("have no effect");
    }

}
