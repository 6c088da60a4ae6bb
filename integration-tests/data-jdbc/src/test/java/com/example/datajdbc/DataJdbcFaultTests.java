package com.example.datajdbc;

import java.util.Optional;

import com.example.checks.ApplicationFaultTests;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

/**
 * Proves that Spring Data JDBC's repository is told the truth and reads its own writes: the checks of
 * {@link ApplicationFaultTests} with {@code save()} and {@code findById()} called straight on the repository, each in
 * the repository's own transaction ({@code findById()} in a read-only one).
 */
@SpringBootTest
class DataJdbcFaultTests extends ApplicationFaultTests {

    @Override
    protected long write(ApplicationContext context, String text) {
        return context.getBean(NoteRepository.class).save(Note.of(text)).id();
    }

    @Override
    protected Optional<String> read(ApplicationContext context, long id) {
        return context.getBean(NoteRepository.class).findById(id).map(Note::text);
    }

}
