package com.example.jooq;

/**
 * A row of table {@code note}, mapped from jOOQ records.
 */
public record Note(long id, String text) {
}
