package com.example.datajpa;

import org.springframework.data.jpa.repository.JpaRepository;

/**
 * Spring Data JPA's repository of {@link Note}s.
 */
public interface NoteRepository extends JpaRepository<Note, Long> {

}
