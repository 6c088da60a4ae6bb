package com.example.jooq;

import java.util.Optional;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Records;
import org.jooq.Table;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

/**
 * Notes with jOOQ's {@link DSLContext} inside Spring transactions: writes run on the primary, read-only
 * transactions on a replica.
 */
@Service
public class NoteService {

    private static final Table<?> NOTE = table(name("note"));

    private static final Field<Long> ID = field(name("id"), Long.class);

    private static final Field<String> TEXT = field(name("text"), String.class);

    private final DSLContext dsl;

    public NoteService(DSLContext dsl) {
        this.dsl = dsl;
    }

    @Transactional
    public long add(String text) {
        return this.dsl.insertInto(NOTE, TEXT).values(text).returningResult(ID).fetchSingle().value1();
    }

    @Transactional(readOnly = true)
    public Optional<Note> find(long id) {
        return this.dsl.select(ID, TEXT).from(NOTE).where(ID.eq(id)).fetchOptional(Records.mapping(Note::new));
    }

}
