package io.nexs.postgres.copy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A table or column name given by the application, checked and quoted before it goes into SQL. PostgreSQL's
 * rules apply: an unquoted name is letters, digits, {@code _} and {@code $}, not starting with a digit or
 * {@code $}, and is folded to lower case; a double-quoted name keeps its case and may hold anything but a NUL,
 * with {@code ""} for a quote. A table may be qualified by its schema ({@code sales.orders}). Anything else, such
 * as {@code orders; drop table x}, is refused with the reason, before any SQL is sent.
 */
public final class SqlIdentifier {

    /** PostgreSQL truncates longer names: refuse them instead of writing to another table. */
    private static final int MAX_BYTES = 63;

    private final List<String> parts;

    private SqlIdentifier(List<String> parts) {
        this.parts = List.copyOf(parts);
    }

    /**
     * Parses a table name, optionally qualified by its schema.
     * @param name the name as the application wrote it
     * @return the identifier
     * @throws IllegalArgumentException when it is not a valid name, saying why and where
     */
    public static SqlIdentifier table(String name) {
        SqlIdentifier identifier = parse(name, "table");
        if (identifier.parts.size() > 2) {
            throw new IllegalArgumentException("The table name \"" + name + "\" has more than a schema and a table");
        }
        return identifier;
    }

    /**
     * Parses a column name, which is never qualified.
     * @param name the name as the application wrote it
     * @return the identifier
     * @throws IllegalArgumentException when it is not a valid name, saying why and where
     */
    public static SqlIdentifier column(String name) {
        SqlIdentifier identifier = parse(name, "column");
        if (identifier.parts.size() != 1) {
            throw new IllegalArgumentException("The column name \"" + name + "\" must not be qualified");
        }
        return identifier;
    }

    private static SqlIdentifier parse(@Nullable String name, String what) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("The " + what + " name is empty");
        }
        List<String> parts = new ArrayList<>();
        int i = 0;
        int length = name.length();
        while (true) {
            if (i < length && name.charAt(i) == '"') {
                StringBuilder part = new StringBuilder();
                i++;
                while (true) {
                    if (i >= length) {
                        throw invalid(name, what, i, "a quoted name is not closed");
                    }
                    char c = name.charAt(i);
                    if (c == '"') {
                        if (i + 1 < length && name.charAt(i + 1) == '"') {
                            part.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (c == '\0') {
                        throw invalid(name, what, i, "a name cannot hold a NUL character");
                    }
                    part.append(c);
                    i++;
                }
                if (part.length() == 0) {
                    throw invalid(name, what, i, "a quoted name cannot be empty");
                }
                parts.add(checkLength(name, what, part.toString()));
            }
            else {
                int start = i;
                if (i >= length || !isStart(name.charAt(i))) {
                    throw invalid(name, what, i, "a name must start with a letter or _ (or be double-quoted)");
                }
                while (i < length && isPart(name.charAt(i))) {
                    i++;
                }
                parts.add(checkLength(name, what, name.substring(start, i).toLowerCase(Locale.ROOT)));
            }
            if (i == length) {
                return new SqlIdentifier(parts);
            }
            if (name.charAt(i) != '.') {
                throw invalid(name, what, i, "only letters, digits, _ and $ may follow, or a dot before the next part");
            }
            i++;
        }
    }

    private static String checkLength(String name, String what, String part) {
        if (part.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("The " + what + " name \"" + name + "\" has a part longer than "
                    + MAX_BYTES + " bytes, which PostgreSQL would cut short");
        }
        return part;
    }

    private static IllegalArgumentException invalid(String name, String what, int at, String reason) {
        return new IllegalArgumentException("The " + what + " name \"" + name + "\" is not a valid name at position "
                + (at + 1) + ": " + reason);
    }

    private static boolean isStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
    }

    private static boolean isPart(char c) {
        return isStart(c) || (c >= '0' && c <= '9') || c == '$';
    }

    /**
     * The name's parts as PostgreSQL stores them: unquoted parts folded to lower case.
     * @return the schema (if given) and the name
     */
    public List<String> parts() {
        return this.parts;
    }

    /**
     * The name as SQL, every part double-quoted.
     * @return for example {@code "sales"."orders"}
     */
    public String toSql() {
        StringBuilder sql = new StringBuilder();
        for (String part : this.parts) {
            if (sql.length() > 0) {
                sql.append('.');
            }
            sql.append('"').append(part.replace("\"", "\"\"")).append('"');
        }
        return sql.toString();
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof SqlIdentifier identifier && this.parts.equals(identifier.parts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.parts);
    }

    @Override
    public String toString() {
        return toSql();
    }

}
