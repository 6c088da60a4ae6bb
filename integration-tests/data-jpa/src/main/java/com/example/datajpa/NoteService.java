package com.example.datajpa;

import java.util.Optional;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Notes through the JPA repository: writes run on the primary, read-only transactions on a replica.
 */
@Service
public class NoteService {

    private final NoteRepository notes;

    public NoteService(NoteRepository notes) {
        this.notes = notes;
    }

    @Transactional
    public long add(String text) {
        return this.notes.save(new Note(text)).getId();
    }

    @Transactional(readOnly = true)
    public Optional<String> text(long id) {
        return this.notes.findById(id).map(Note::getText);
    }

}
