package com.example.owndatasource;

import java.util.Optional;

import io.nexs.postgres.PostgresOperations;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Notes through nexs-postgres's query API over the application's own data source, inside {@code @Transactional}
 * methods.
 */
@Service
public class NoteService {

    private final PostgresOperations postgres;

    public NoteService(PostgresOperations postgres) {
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
