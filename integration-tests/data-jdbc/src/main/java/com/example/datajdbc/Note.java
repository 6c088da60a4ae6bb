package com.example.datajdbc;

import org.springframework.data.annotation.Id;

/**
 * An aggregate kept in table {@code note}; its id is {@code null} until the database gives one.
 */
public record Note(@Id Long id, String text) {

    public static Note of(String text) {
        return new Note(null, text);
    }

}
