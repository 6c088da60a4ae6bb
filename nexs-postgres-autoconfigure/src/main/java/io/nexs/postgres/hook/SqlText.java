package io.nexs.postgres.hook;

import org.jspecify.annotations.Nullable;

/**
 * SQL text made safe and short for logs: literals replaced by {@code ?}, whitespace collapsed, long text cut.
 * Statements normally carry their values as bound parameters, which never appear in SQL text; literals are the
 * exception (for example a value concatenated into the SQL), and this keeps them out too.
 */
public final class SqlText {

    /** Longer text is cut, and ends with an ellipsis. */
    public static final int MAX_LENGTH = 500;

    private static final String ELLIPSIS = "...";

    private SqlText() {
    }

    /**
     * The SQL with string, dollar-quoted and numeric literals replaced by {@code ?} and runs of whitespace by a
     * single space. Comments are dropped, since they may hold anything.
     * @param sql the SQL
     * @return the normalised text, at most {@value #MAX_LENGTH} characters
     */
    public static String normalize(@Nullable String sql) {
        if (sql == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(sql.length(), MAX_LENGTH + 1));
        int length = sql.length();
        int i = 0;
        while (i < length && out.length() <= MAX_LENGTH) {
            char c = sql.charAt(i);
            if (c == '\'') {
                // in an escape string (E'...') a backslash escapes the next character, a quote included
                i = skipQuoted(sql, i + 1, '\'', escapeStringPrefix(out));
                out.append('?');
            }
            else if (c == '"') {
                // a quoted identifier: kept
                int end = skipQuoted(sql, i + 1, '"', false);
                out.append(sql, i, end);
                i = end;
            }
            else if (c == '$' && !partOfWord(out) && dollarTag(sql, i) != null) {
                // after a letter or digit, $ belongs to the identifier (a$b$c), and starts no quote
                String tag = dollarTag(sql, i);
                int end = sql.indexOf(tag, i + tag.length());
                i = (end < 0) ? length : end + tag.length();
                out.append('?');
            }
            else if (c == '-' && i + 1 < length && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = (end < 0) ? length : end;
                space(out);
            }
            else if (c == '/' && i + 1 < length && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = (end < 0) ? length : end + 2;
                space(out);
            }
            else if (Character.isDigit(c) && !partOfWord(out)) {
                while (i < length && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
                    i++;
                }
                out.append('?');
            }
            else if (Character.isWhitespace(c)) {
                space(out);
                i++;
            }
            else {
                out.append(c);
                i++;
            }
        }
        String text = out.toString().strip();
        return (text.length() > MAX_LENGTH || i < length)
                ? text.substring(0, Math.min(text.length(), MAX_LENGTH - ELLIPSIS.length())) + ELLIPSIS : text;
    }

    private static int skipQuoted(String sql, int from, char quote, boolean backslashEscapes) {
        int i = from;
        while (i < sql.length()) {
            if (backslashEscapes && sql.charAt(i) == '\\') {
                i += 2;
                continue;
            }
            if (sql.charAt(i) == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return sql.length();
    }

    private static @Nullable String dollarTag(String sql, int start) {
        int i = start + 1;
        while (i < sql.length() && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
            i++;
        }
        if (i < sql.length() && sql.charAt(i) == '$' && (i == start + 1 || !Character.isDigit(sql.charAt(start + 1)))) {
            return sql.substring(start, i + 1);
        }
        return null;
    }

    /** Whether the text so far ends with the {@code E} of an escape string: an E that is a word of its own. */
    private static boolean escapeStringPrefix(StringBuilder out) {
        int last = out.length() - 1;
        if (last < 0 || (out.charAt(last) != 'E' && out.charAt(last) != 'e')) {
            return false;
        }
        if (last == 0) {
            return true;
        }
        char before = out.charAt(last - 1);
        return !(Character.isLetterOrDigit(before) || before == '_' || before == '$');
    }

    private static boolean partOfWord(StringBuilder out) {
        if (out.length() == 0) {
            return false;
        }
        char previous = out.charAt(out.length() - 1);
        return Character.isLetterOrDigit(previous) || previous == '_' || previous == '$';
    }

    private static void space(StringBuilder out) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
            out.append(' ');
        }
    }

}
