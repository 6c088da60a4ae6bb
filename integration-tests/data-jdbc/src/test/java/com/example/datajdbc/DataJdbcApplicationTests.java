package com.example.datajdbc;

import java.util.Optional;

import javax.sql.DataSource;

import com.example.checks.ApplicationShapeTests;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.tx.PostgresTransactionManager;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.transaction.PlatformTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the Spring Data JDBC shape: the repositories start on nexs-postgres's routed data source, and the checks
 * of {@link ApplicationShapeTests} pass through them: a {@code @Transactional} save runs on the primary, a read-only
 * transaction on the standby, and the application leaves no session behind when it stops.
 */
@SpringBootTest
class DataJdbcApplicationTests extends ApplicationShapeTests {

    @Test
    void repositoriesRunOnTheRoutedDataSource(@Autowired PostgresProvider provider, @Autowired DataSource dataSource,
            @Autowired PlatformTransactionManager transactionManager) {
        assertThat(dataSource).isSameAs(provider.dataSource());
        // the one that settles a lost commit
        assertThat(transactionManager).isInstanceOfSatisfying(PostgresTransactionManager.class,
                (jdbc) -> assertThat(jdbc.getDataSource()).isSameAs(dataSource));
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
        return new SpringApplicationBuilder(DataJdbcApplication.class);
    }

}
