package com.example.actuatorweb;

/**
 * A row of table {@code note}, and the JSON of the notes endpoint.
 */
public record Note(long id, String text) {
}
