package com.example.minimal;

import java.util.Optional;

import com.example.checks.ApplicationFaultTests;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

/**
 * Proves that {@code JdbcTemplate} in {@code @Transactional} methods is told the truth and reads its own writes: the
 * checks of {@link ApplicationFaultTests} with {@link JdbcTemplateNoteService}'s write and its
 * {@code @Transactional(readOnly = true)} read.
 */
@SpringBootTest
class MinimalFaultTests extends ApplicationFaultTests {

    @Override
    protected long write(ApplicationContext context, String text) {
        return context.getBean(JdbcTemplateNoteService.class).add(text);
    }

    @Override
    protected Optional<String> read(ApplicationContext context, long id) {
        return context.getBean(JdbcTemplateNoteService.class).text(id);
    }

}
