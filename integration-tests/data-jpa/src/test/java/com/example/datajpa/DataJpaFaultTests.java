package com.example.datajpa;

import java.util.Optional;

import com.example.checks.ApplicationFaultTests;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

/**
 * Proves that a Spring Data JPA repository is told the truth and reads its own writes: the checks of
 * {@link ApplicationFaultTests} with {@code save()} and {@code findById()} called straight on the repository, each in
 * the repository's own transaction under {@code JpaTransactionManager} ({@code findById()} in a read-only one).
 */
@SpringBootTest
class DataJpaFaultTests extends ApplicationFaultTests {

    @Override
    protected long write(ApplicationContext context, String text) {
        return context.getBean(NoteRepository.class).save(new Note(text)).getId();
    }

    @Override
    protected Optional<String> read(ApplicationContext context, long id) {
        return context.getBean(NoteRepository.class).findById(id).map(Note::getText);
    }

}
