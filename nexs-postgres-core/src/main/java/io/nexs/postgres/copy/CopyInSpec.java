package io.nexs.postgres.copy;

import java.io.InputStream;
import java.io.Reader;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A load into a table, built by {@link CopyOperations#into(String)} and run by one of its terminal methods.
 * Not thread-safe; build one per load.
 *
 * <p>Rows of objects ({@link #rows(Iterable)}) go in PostgreSQL's binary format, the fastest way in. The columns'
 * types are read from the table once, before the first row; each value is then written in its column's binary
 * form, and a value that does not fit (a {@code String} for an {@code integer}, a number out of range) raises
 * {@link CopyValueException} naming the row, the column and the reason. Rows are {@code Object[]} or {@code List}
 * (values in the order of the columns), {@code Map}s (by column name), records or beans (a column
 * {@code taken_at} from the property {@code takenAt}, or the one annotated {@code @Column("taken_at")}). Rows are
 * read and sent as they come, through one buffer: memory does not grow with the rows. The load always runs on the
 * primary. In {@link CopyMode#ATOMIC} mode all rows go in one transaction (the caller's, when one is open), so a
 * failure leaves nothing behind. In {@link CopyMode#PER_CHUNK} mode each chunk commits on its own, over
 * {@link CopyOptions#parallelism()} connections at once, in no particular order; a chunk that fails for good stops
 * the load with a {@link PartialCopyException} that lists the committed chunks. Every {@code COPY} statement goes
 * through the {@code beforeCopy} and {@code afterCopy} hooks.
 */
public interface CopyInSpec {

    /**
     * The columns each row gives, in order; for {@link #from(Reader, CopyFormat)} none means all of the table's.
     * @param columns the column names
     * @return this spec
     */
    CopyInSpec columns(String... columns);

    /**
     * The columns each row gives, in order.
     * @param columns the column names
     * @return this spec
     */
    CopyInSpec columns(List<String> columns);

    /**
     * Mode, parallelism, chunk size and progress listener. Without them, rows of objects load with the
     * operations' defaults ({@code nexs.postgres.copy.*}) and text or byte streams with
     * {@link CopyOptions#defaults()}, since a stream loads atomically on one connection.
     * @param options the options
     * @return this spec
     */
    CopyInSpec options(CopyOptions options);

    /**
     * Loads rows of objects.
     * @param rows the rows: {@code Object[]}, {@code List}, {@code Map}, records or beans
     * @return the rows loaded, bytes sent, duration and, per chunk, what committed
     */
    CopyResult rows(Iterable<?> rows);

    /**
     * Loads the rows of a stream, which is consumed but not closed.
     * @param rows the rows
     * @return the rows loaded
     */
    CopyResult rows(Stream<?> rows);

    /**
     * Loads the rows of an iterator.
     * @param rows the rows
     * @return the rows loaded
     */
    CopyResult rows(Iterator<?> rows);

    /**
     * Loads CSV or PostgreSQL text from a reader in one {@code COPY}, in one transaction, on the primary; the
     * server parses it. A bad line fails the whole load with an exception naming the line (header included) and
     * column, without the line's content. The reader is read to its end but not closed. Only
     * {@link CopyMode#ATOMIC} with parallelism 1 is accepted.
     * @param input the text
     * @param format {@link CopyFormat#csv()} or {@link CopyFormat#tsv()}, with header, delimiter, quote and NULL
     * @return the rows loaded
     */
    CopyResult from(Reader input, CopyFormat format);

    /**
     * Loads CSV, text or binary {@code COPY} data from a byte stream in one {@code COPY}; the format's encoding
     * tells the server how the text is encoded. See {@link #from(Reader, CopyFormat)}.
     * @param input the bytes
     * @param format the format
     * @return the rows loaded
     */
    CopyResult from(InputStream input, CopyFormat format);

}
