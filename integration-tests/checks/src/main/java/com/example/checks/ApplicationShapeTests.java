package com.example.checks;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks every application shape that routes through nexs-postgres passes: a write through its
 * {@code @Transactional} service lands on the primary, a read-only transaction runs on the standby and sees that
 * write, and the application leaves no session behind when it stops.
 *
 * <p>A subclass carries its own {@code @SpringBootTest} and its shape's own checks, and says in three hooks how its
 * service writes and reads a note and how the application is started. The shutdown check runs the application under
 * the name {@code <spring.application.name>-shutdown-check}.
 */
public abstract class ApplicationShapeTests extends ClusterTests {

    /** Writes a note with this text through the application's {@code @Transactional} service; returns its id. */
    protected abstract long addNote(ApplicationContext context, String text);

    /** Reads note {@code id} through the application's read-only service method; empty when there is none. */
    protected abstract Optional<NoteRow> findNote(ApplicationContext context, long id);

    /** The application as its {@code main} method starts it, plus what the shape needs to run beside the test's. */
    protected abstract SpringApplicationBuilder application();

    /**
     * Whether the connection of the current transaction is to a server in recovery, that is a standby; asked with
     * the application's {@link JdbcClient} unless the shape has a query API of its own to ask with.
     */
    protected boolean isInRecovery(ApplicationContext context) {
        return context.getBean(JdbcClient.class).sql("select pg_is_in_recovery()").query(Boolean.class).single();
    }

    @Test
    protected void writesThroughTheTransactionalServiceOnThePrimary(@Autowired ApplicationContext context)
            throws SQLException {
        long id = addNote(context, "written on the primary");
        assertThat(textOnPrimary(id)).hasValue("written on the primary");
    }

    @Test
    protected void readOnlyTransactionRunsOnTheStandbyAndSeesTheWrite(@Autowired ApplicationContext context) {
        long id = addNote(context, "read on the standby");
        TransactionTemplate readOnly = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
        readOnly.setReadOnly(true);
        // on a thread that wrote nothing, so that read-your-writes, the default, cannot send the read to the
        // primary; the standby applies every commit before the commit returns
        CompletableFuture.runAsync(() -> readOnly.executeWithoutResult((status) -> {
            assertThat(isInRecovery(context)).isTrue();
            assertThat(findNote(context, id)).hasValue(new NoteRow(id, "read on the standby"));
        }), (work) -> new Thread(work).start()).join();
    }

    @Test
    protected void closingTheApplicationEndsEverySessionItOpened(@Autowired ApplicationContext context) {
        String applicationName = context.getEnvironment().getRequiredProperty("spring.application.name")
                + "-shutdown-check";
        Map<String, String> properties = new LinkedHashMap<>(connection());
        properties.put("nexs.postgres.application-name", applicationName);
        assertClosingEndsEverySession(application(), applicationName, (running) -> {
            long id = addNote(running, "written before shutdown");
            assertThat(findNote(running, id)).isPresent();
        }, commandLine(properties));
    }

    /**
     * A note as the application's service read it: its id and its text.
     *
     * @param id the note's id
     * @param text the note's text
     */
    public record NoteRow(long id, String text) {
    }

}
