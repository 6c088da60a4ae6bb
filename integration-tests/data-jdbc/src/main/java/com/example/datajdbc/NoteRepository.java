package com.example.datajdbc;

import org.springframework.data.repository.CrudRepository;

/**
 * Spring Data JDBC's repository of {@link Note}s.
 */
public interface NoteRepository extends CrudRepository<Note, Long> {

}
