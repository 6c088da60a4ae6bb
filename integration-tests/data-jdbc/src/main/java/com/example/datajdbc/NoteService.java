package com.example.datajdbc;

import java.util.Optional;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Notes through the Spring Data JDBC repository: writes run on the primary, read-only transactions on a replica.
 */
@Service
public class NoteService {

    private final NoteRepository notes;

    public NoteService(NoteRepository notes) {
        this.notes = notes;
    }

    @Transactional
    public Note add(String text) {
        return this.notes.save(Note.of(text));
    }

    @Transactional(readOnly = true)
    public Optional<Note> find(long id) {
        return this.notes.findById(id);
    }

}
