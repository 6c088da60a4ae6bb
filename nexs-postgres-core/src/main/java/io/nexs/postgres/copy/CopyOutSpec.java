package io.nexs.postgres.copy;

import java.io.OutputStream;
import java.util.stream.Stream;

import org.springframework.jdbc.core.RowMapper;

/**
 * A read of a query's result, built by {@link CopyOperations#out(String)}.
 */
public interface CopyOutSpec {

    /**
     * Writes the result to a stream: CSV, PostgreSQL text or binary, at the server's speed. It is sent again after
     * a transient failure only when nothing was written to the stream yet. The stream is not closed.
     * @param output where the rows go
     * @param format the format and its options (header, delimiter, encoding)
     * @return the rows written
     */
    long to(OutputStream output, CopyFormat format);

    /**
     * Streams the result through a binary {@code COPY}, each row mapped to the given type as
     * {@code queryAll(Class, ...)} maps it. The server sends rows as fast as the stream is read, without a cursor
     * or a transaction; memory holds one row at a time. The stream holds a connection until it is read to its end
     * or closed: always close it, with try-with-resources. Closing it early cancels the {@code COPY}. It cannot run
     * inside a transaction, whose other statements would wait for the connection it holds: use {@code stream}
     * there. The columns' types are read before the {@code COPY} starts: booleans, numbers, text, json, bytea,
     * uuid, dates and times and their one-dimensional arrays are decoded; another type (an interval, a range) is
     * refused then, naming the column and the cast that fixes it ({@code ::text}).
     * @param <T> the target type
     * @param type a record, bean or class with fields, or a simple type for a single-column result
     * @return the rows; must be closed
     */
    <T> Stream<T> rows(Class<T> type);

    /**
     * Like {@link #rows(Class)}, mapping rows with a {@link RowMapper}, which reads the values with
     * {@code getObject}, {@code getString}, {@code getLong} and the other getters by column index.
     * @param <T> the row type
     * @param mapper maps one row
     * @return the rows; must be closed
     */
    <T> Stream<T> rows(RowMapper<T> mapper);

}
