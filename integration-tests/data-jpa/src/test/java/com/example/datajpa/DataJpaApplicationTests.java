package com.example.datajpa;

import java.util.Optional;

import javax.sql.DataSource;

import com.example.checks.ApplicationShapeTests;
import io.nexs.postgres.PostgresProvider;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the Spring Data JPA shape: Hibernate starts on nexs-postgres's routed data source, and the checks of
 * {@link ApplicationShapeTests} pass through JPA: a {@code @Transactional} save runs on the primary, a read-only JPA
 * transaction on the standby, and the application leaves no session behind when it stops.
 */
@SpringBootTest
class DataJpaApplicationTests extends ApplicationShapeTests {

    @Test
    void jpaRunsOnTheRoutedDataSource(@Autowired PostgresProvider provider, @Autowired DataSource dataSource,
            @Autowired PlatformTransactionManager transactionManager) {
        assertThat(dataSource).isSameAs(provider.dataSource());
        assertThat(transactionManager).isInstanceOfSatisfying(JpaTransactionManager.class,
                (jpa) -> assertThat(jpa.getDataSource()).isSameAs(dataSource));
    }

    @Override
    protected long addNote(ApplicationContext context, String text) {
        return context.getBean(NoteService.class).add(text);
    }

    @Override
    protected Optional<NoteRow> findNote(ApplicationContext context, long id) {
        return context.getBean(NoteService.class).text(id).map((text) -> new NoteRow(id, text));
    }

    @Override
    protected SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(DataJpaApplication.class);
    }

}
