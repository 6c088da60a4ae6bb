package com.example.minimal;

import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Notes with Spring's plain {@link JdbcTemplate} inside {@code @Transactional} methods, as most applications write
 * them: writes run on the primary, read-only transactions on a replica.
 */
@Service
public class JdbcTemplateNoteService {

    private final JdbcTemplate jdbc;

    public JdbcTemplateNoteService(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    public long add(String text) {
        return this.jdbc.queryForObject("insert into note (text) values (?) returning id", Long.class, text);
    }

    @Transactional(readOnly = true)
    public Optional<String> text(long id) {
        return this.jdbc.queryForList("select text from note where id = ?", String.class, id).stream().findFirst();
    }

}
