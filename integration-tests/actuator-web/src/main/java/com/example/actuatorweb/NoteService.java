package com.example.actuatorweb;

import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Notes with Spring's {@link JdbcClient} on the routed data source: writes run on the primary, read-only
 * transactions on a replica.
 */
@Service
public class NoteService {

    private final JdbcClient jdbc;

    public NoteService(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional
    public Note add(String text) {
        long id = this.jdbc.sql("insert into note (text) values (?) returning id").param(text)
            .query(Long.class)
            .single();
        return new Note(id, text);
    }

    @Transactional(readOnly = true)
    public Optional<Note> find(long id) {
        return this.jdbc.sql("select id, text from note where id = ?").param(id).query(Note.class).optional();
    }

}
