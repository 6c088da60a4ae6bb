package com.example.minimal;

/**
 * A row of table {@code note}, mapped by nexs-postgres without a hand-written row mapper.
 */
public record Note(long id, String text) {
}
