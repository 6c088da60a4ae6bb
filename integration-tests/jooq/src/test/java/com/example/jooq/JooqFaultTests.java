package com.example.jooq;

import java.util.Optional;

import com.example.checks.ApplicationFaultTests;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

/**
 * Proves that jOOQ inside Spring transactions is told the truth and reads its own writes: the checks of
 * {@link ApplicationFaultTests} with the service's {@code @Transactional} insert and its
 * {@code @Transactional(readOnly = true)} select.
 */
@SpringBootTest
class JooqFaultTests extends ApplicationFaultTests {

    @Override
    protected long write(ApplicationContext context, String text) {
        return context.getBean(NoteService.class).add(text);
    }

    @Override
    protected Optional<String> read(ApplicationContext context, long id) {
        return context.getBean(NoteService.class).find(id).map(Note::text);
    }

}
