package com.example.actuatorweb;

import java.net.URI;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /notes} writes a note, {@code GET /notes/{id}} reads it back in a read-only transaction.
 */
@RestController
@RequestMapping("/notes")
public class NoteController {

    private final NoteService notes;

    public NoteController(NoteService notes) {
        this.notes = notes;
    }

    @PostMapping
    public ResponseEntity<Note> add(@RequestBody NewNote note) {
        Note added = this.notes.add(note.text());
        return ResponseEntity.created(URI.create("/notes/" + added.id())).body(added);
    }

    @GetMapping("/{id}")
    public ResponseEntity<Note> find(@PathVariable long id) {
        return ResponseEntity.of(this.notes.find(id));
    }

    /** The body of {@code POST /notes}. */
    public record NewNote(String text) {
    }

}
