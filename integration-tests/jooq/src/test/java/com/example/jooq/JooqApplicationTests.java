package com.example.jooq;

import java.util.Optional;

import javax.sql.DataSource;

import com.example.checks.ApplicationShapeTests;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.tx.PostgresTransactionManager;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the jOOQ shape: {@code DSLContext} joins Spring's transactions on nexs-postgres's routed data source, so
 * in the checks of {@link ApplicationShapeTests} a {@code @Transactional} insert runs on the primary and a read-only
 * transaction's queries, jOOQ's own included, on the standby, and the application leaves no session behind when it
 * stops.
 */
@SpringBootTest
class JooqApplicationTests extends ApplicationShapeTests {

    @Test
    void dslContextRunsOnTheRoutedDataSource(@Autowired PostgresProvider provider, @Autowired DataSource dataSource,
            @Autowired DSLContext dsl, @Autowired PlatformTransactionManager transactionManager) {
        assertThat(dataSource).isSameAs(provider.dataSource());
        assertThat(dsl.dialect()).isEqualTo(SQLDialect.POSTGRES);
        // the one that settles a lost commit, which jOOQ's Spring transactions use too
        assertThat(transactionManager).isInstanceOfSatisfying(PostgresTransactionManager.class,
                (jdbc) -> assertThat(jdbc.getDataSource()).isSameAs(dataSource));
    }

    /** Asks through jOOQ, which must run in the read-only transaction's connection to the standby. */
    @Override
    protected boolean isInRecovery(ApplicationContext context) {
        return Boolean.TRUE.equals(context.getBean(DSLContext.class).fetchValue("select pg_is_in_recovery()"));
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
        return new SpringApplicationBuilder(JooqApplication.class);
    }

}
