package io.nexs.postgres.hook;

import java.util.Locale;

/**
 * The kind of work a {@link HookContext} describes.
 */
public enum Operation {

    /** A query that returns rows: {@code queryAll}, {@code queryOne}, {@code queryCount}, {@code stream}. */
    QUERY,

    /** A statement that returns a count: {@code exec}, {@code notify}, a pipeline. */
    EXEC,

    /** One statement run with many parameter sets. */
    BATCH,

    /** A bulk {@code COPY} in or out. */
    COPY,

    /** A transaction, from begin to commit or rollback. */
    TRANSACTION,

    /** A connection borrowed from a node's pool, until it is returned. */
    CONNECTION,

    /** A hook point defined by the application, see {@link HookManager#fire(String, HookContext)}. */
    CUSTOM;

    /**
     * The lower-case name used in logs.
     * @return for example {@code query}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

}
