package com.example.observability;

import java.util.Optional;

import io.nexs.postgres.PostgresProvider;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Notes through the nexs-postgres query API inside {@code @Transactional} methods: writes run on the primary,
 * read-only transactions on a replica.
 */
@Service
public class NoteService {

    private final PostgresProvider postgres;

    public NoteService(PostgresProvider postgres) {
        this.postgres = postgres;
    }

    @Transactional
    public long add(String text) {
        return this.postgres.queryOne(Long.class, "insert into note (text) values (?) returning id", text)
            .orElseThrow();
    }

    @Transactional(readOnly = true)
    public Optional<Note> find(long id) {
        return this.postgres.queryOne(Note.class, "select id, text from note where id = ?", id);
    }

}
