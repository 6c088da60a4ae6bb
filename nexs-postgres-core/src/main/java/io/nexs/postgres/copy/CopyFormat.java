package io.nexs.postgres.copy;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * The format of a {@code COPY} stream read from or written to the application: CSV, PostgreSQL's tab-separated
 * text format, or its binary format. Immutable; each {@code with...} method returns a copy.
 * <pre>{@code
 * CopyFormat semicolons = CopyFormat.csv().withHeader(true).withDelimiter(';');
 * }</pre>
 *
 * @param kind CSV, text or binary
 * @param header whether the first line names the columns (CSV and text; on input it is skipped)
 * @param delimiter the character between fields (CSV and text)
 * @param quote the quoting character (CSV)
 * @param nullString how NULL is written (CSV: an unquoted empty field unless set; text: {@code \N})
 * @param encoding the encoding of a byte stream (CSV and text); a {@code Reader} or {@code Writer} is
 * encoded by the connection
 */
public record CopyFormat(Kind kind, boolean header, char delimiter, char quote, @Nullable String nullString,
        Charset encoding) {

    private static final CopyFormat CSV = new CopyFormat(Kind.CSV, false, ',', '"', null, StandardCharsets.UTF_8);

    private static final CopyFormat TSV = new CopyFormat(Kind.TEXT, false, '\t', '"', null, StandardCharsets.UTF_8);

    private static final CopyFormat BINARY = new CopyFormat(Kind.BINARY, false, '\t', '"', null,
            StandardCharsets.UTF_8);

    /**
     * Checks the format.
     * @param kind the kind
     * @param header whether there is a header line
     * @param delimiter the delimiter
     * @param quote the quote
     * @param nullString the NULL marker, or {@code null} for the kind's default
     * @param encoding the encoding
     */
    public CopyFormat {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(encoding, "encoding");
        if (kind != Kind.BINARY) {
            check(delimiter, "delimiter");
            if (kind == Kind.TEXT && delimiter == '\\') {
                throw new IllegalArgumentException("The text format's delimiter cannot be a backslash, its escape");
            }
            if (kind == Kind.CSV) {
                check(quote, "quote");
                if (quote == delimiter) {
                    throw new IllegalArgumentException("The CSV quote and delimiter must differ, both are '"
                            + delimiter + "'");
                }
            }
            if (nullString != null && (nullString.indexOf('\n') >= 0 || nullString.indexOf('\r') >= 0)) {
                throw new IllegalArgumentException("The NULL marker cannot hold a line break");
            }
        }
    }

    private static void check(char c, String what) {
        if (c == '\n' || c == '\r' || c > 0x7f || c == '\0') {
            throw new IllegalArgumentException("The " + what + " must be a single ASCII character other than a line "
                    + "break or NUL, not U+" + String.format("%04X", (int) c));
        }
    }

    /**
     * CSV as PostgreSQL reads and writes it: comma-separated, {@code "} quotes, an unquoted empty field for NULL,
     * no header line, UTF-8.
     * @return the format
     */
    public static CopyFormat csv() {
        return CSV;
    }

    /**
     * PostgreSQL's text format: tab-separated, backslash escapes, {@code \N} for NULL, no header line, UTF-8.
     * @return the format
     */
    public static CopyFormat tsv() {
        return TSV;
    }

    /**
     * PostgreSQL's binary format, which moves values without parsing them.
     * @return the format
     */
    public static CopyFormat binary() {
        return BINARY;
    }

    /**
     * A copy with or without a header line.
     * @param header whether the first line names the columns
     * @return the copy
     */
    public CopyFormat withHeader(boolean header) {
        return new CopyFormat(this.kind, header, this.delimiter, this.quote, this.nullString, this.encoding);
    }

    /**
     * A copy with another delimiter.
     * @param delimiter a single ASCII character
     * @return the copy
     */
    public CopyFormat withDelimiter(char delimiter) {
        return new CopyFormat(this.kind, this.header, delimiter, this.quote, this.nullString, this.encoding);
    }

    /**
     * A copy with another quoting character (CSV).
     * @param quote a single ASCII character
     * @return the copy
     */
    public CopyFormat withQuote(char quote) {
        return new CopyFormat(this.kind, this.header, this.delimiter, quote, this.nullString, this.encoding);
    }

    /**
     * A copy that writes NULL this way.
     * @param nullString the marker
     * @return the copy
     */
    public CopyFormat withNull(String nullString) {
        return new CopyFormat(this.kind, this.header, this.delimiter, this.quote,
                Objects.requireNonNull(nullString, "nullString"), this.encoding);
    }

    /**
     * A copy for byte streams in another encoding.
     * @param encoding the encoding
     * @return the copy
     */
    public CopyFormat withEncoding(Charset encoding) {
        return new CopyFormat(this.kind, this.header, this.delimiter, this.quote, this.nullString, encoding);
    }

    /**
     * The options clause of the {@code COPY} statement.
     * @param withEncoding whether to name the encoding (for byte streams)
     * @return for example {@code (FORMAT csv, HEADER true, DELIMITER E';')}
     */
    public String toSql(boolean withEncoding) {
        StringBuilder sql = new StringBuilder("(FORMAT ").append(this.kind.name().toLowerCase(java.util.Locale.ROOT));
        if (this.kind != Kind.BINARY) {
            if (this.header) {
                sql.append(", HEADER true");
            }
            sql.append(", DELIMITER ").append(literal(String.valueOf(this.delimiter)));
            if (this.kind == Kind.CSV) {
                sql.append(", QUOTE ").append(literal(String.valueOf(this.quote)));
            }
            if (this.nullString != null) {
                sql.append(", NULL ").append(literal(this.nullString));
            }
            if (withEncoding) {
                sql.append(", ENCODING ").append(literal(this.encoding.name()));
            }
        }
        return sql.append(')').toString();
    }

    /** An escape-string literal, read the same whatever {@code standard_conforming_strings} says. */
    private static String literal(String value) {
        StringBuilder literal = new StringBuilder("E'");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> literal.append("\\\\");
                case '\'' -> literal.append("\\'");
                case '\t' -> literal.append("\\t");
                default -> literal.append(c);
            }
        }
        return literal.append('\'').toString();
    }

    /** The formats of {@code COPY}. */
    public enum Kind {

        /** Comma-separated values. */
        CSV,

        /** PostgreSQL's text format: tab-separated with backslash escapes. */
        TEXT,

        /** PostgreSQL's binary format. */
        BINARY

    }

}
