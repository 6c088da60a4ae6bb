package io.nexs.postgres.hook;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** A leading name comment. */
    private static final Pattern QUERY_NAME = Pattern.compile("\\s*/\\*\\s*name:\\s*([A-Za-z0-9_.:-]{1,64})\\s*\\*/");

    /** Whitespace, a comment or a parenthesis to skip, or the first word. */
    private static final Pattern COMMAND = Pattern
        .compile("\\s+|--[^\\n]*|/\\*.*?\\*/|\\(|([A-Za-z_][A-Za-z_0-9]*)", Pattern.DOTALL);

    /** How a statement that only reads begins, after any opening parentheses. */
    private static final Pattern READING_START = Pattern.compile("\\s*(\\(\\s*)*(select|with|values|table|show)\\b");

    /** A word of a command that writes or takes locks beyond the statement. */
    private static final Pattern WRITING_WORD = Pattern
        .compile("\\b(insert|update|delete|merge|into|copy|call|do|lock|truncate|create|alter|drop|grant|revoke)\\b");

    /** A word, or a quoted identifier, followed by an opening parenthesis: a call, a type modifier or a keyword. */
    private static final Pattern CALL = Pattern.compile("(\"[^\"]*\"|[a-z_][a-z0-9_$]*)\\s*\\(");

    /** The text before a dot ends with the schema pg_catalog, as a word of its own. */
    private static final Pattern PG_CATALOG = Pattern.compile("(?<![a-z0-9_$\\u0080-\\uffff\"])pg_catalog *$");

    /** Keywords, type names and built-in functions that may stand before a parenthesis and write nothing. */
    private static final Set<String> READING_CALLS = Set.of(
            // keywords
            "select", "from", "where", "and", "or", "not", "in", "exists", "any", "all", "some", "values", "cast",
            "row", "array", "over", "filter", "group", "by", "partition", "on", "using", "join", "as",
            "lateral", "when", "then", "else", "case", "between", "like", "ilike", "similar", "is", "distinct",
            "limit", "offset", "fetch", "having", "union", "intersect", "except", "with",
            "materialized", "rows", "grouping", "cube", "rollup", "sets", "tablesample", "bernoulli", "system",
            "table", "only", "extract", "position", "substring", "overlay", "trim", "collate", "escape",
            "unnest",
            // types with modifiers
            "numeric", "decimal", "varchar", "char", "character", "varying", "bit", "varbit", "time", "timestamp",
            "timestamptz", "timetz", "interval", "float",
            // aggregate and window functions
            "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "array_agg", "string_agg",
            "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "stddev", "stddev_pop", "stddev_samp",
            "variance", "var_pop", "var_samp", "percentile_cont", "percentile_disc", "mode", "row_number", "rank",
            "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value",
            "nth_value",
            // conditional, string, numeric, date and JSON functions
            "coalesce", "nullif", "greatest", "least", "lower", "upper", "initcap", "length", "char_length",
            "octet_length", "substr", "btrim", "ltrim", "rtrim", "replace", "concat", "concat_ws", "format", "left",
            "right", "lpad", "rpad", "strpos", "split_part", "starts_with", "reverse", "repeat", "md5", "encode",
            "decode", "regexp_replace", "regexp_match", "regexp_matches", "regexp_like", "regexp_split_to_array",
            "regexp_split_to_table", "string_to_array", "array_to_string", "array_length", "array_position",
            "array_positions", "array_append", "array_prepend", "array_cat", "array_remove", "cardinality", "abs",
            "ceil", "ceiling", "floor", "round", "trunc", "mod", "power", "sqrt", "exp", "ln", "log", "sign",
            "random", "gen_random_uuid", "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp",
            "date_trunc", "date_part", "date_bin", "to_char", "to_date", "to_timestamp", "to_number", "age",
            "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval", "generate_series",
            "to_json", "to_jsonb", "row_to_json", "array_to_json", "json_build_object", "jsonb_build_object",
            "json_build_array", "jsonb_build_array", "jsonb_set", "jsonb_insert", "jsonb_strip_nulls",
            "jsonb_pretty", "json_typeof", "jsonb_typeof", "json_array_length", "jsonb_array_length",
            "json_array_elements", "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text",
            "json_each", "jsonb_each", "json_each_text", "jsonb_each_text", "json_object_keys", "jsonb_object_keys",
            "json_extract_path", "jsonb_extract_path", "json_extract_path_text", "jsonb_extract_path_text",
            "jsonb_path_query", "jsonb_path_query_array", "jsonb_path_query_first", "jsonb_path_exists",
            "json_populate_record", "jsonb_populate_record", "json_to_recordset", "jsonb_to_recordset",
            // information about the server and session
            "version", "current_database", "current_schema", "current_setting", "pg_backend_pid",
            "pg_is_in_recovery", "pg_postmaster_start_time", "inet_server_addr", "inet_server_port",
            "pg_current_wal_lsn", "pg_last_wal_replay_lsn", "pg_last_wal_receive_lsn", "pg_wal_lsn_diff",
            "pg_last_xact_replay_timestamp", "pg_current_xact_id_if_assigned", "pg_xact_status", "pg_typeof",
            "format_type", "to_regclass", "pg_size_pretty", "pg_database_size", "pg_relation_size",
            "pg_total_relation_size", "pg_table_size", "pg_indexes_size", "has_table_privilege",
            "has_schema_privilege", "pg_sleep",
            // locks that end with the statement's own transaction
            "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_xact_lock",
            "pg_try_advisory_xact_lock_shared");

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
        return strip(sql, MAX_LENGTH, true);
    }

    /**
     * Whether a statement only reads, so that sending it again after its connection was lost cannot apply
     * anything twice. It must begin with {@code SELECT}, {@code WITH}, {@code VALUES}, {@code TABLE} or
     * {@code SHOW} (after any opening parentheses), contain no word of a command that writes (which rules out a
     * data-modifying {@code WITH}, {@code SELECT ... INTO} and {@code FOR UPDATE}), and call no function but
     * built-ins known to write nothing, unqualified or in {@code pg_catalog}: {@code nextval}, {@code setval},
     * {@code set_config}, session-level advisory locks and the application's own functions all make the answer
     * "no". Literals and comments (nested ones too) are ignored. The test errs towards "no": a quoted identifier
     * spelled like such a word, or an unlisted built-in, only costs a retry.
     *
     * <p>Text cannot show everything a statement runs: a view, a rule, a user-defined operator or cast, a
     * function called in attribute notation ({@code select t.f from t} calls {@code f(t)}), or a function of the
     * application's that {@code search_path} puts in front of a built-in of the same name may still write.
     * Queries outside a transaction that do such things should go through {@code exec}, or run on a replica.
     * @param sql the statement
     * @return whether it only reads
     */
    public static boolean onlyReads(@Nullable String sql) {
        if (sql == null) {
            return false;
        }
        String text = strip(sql, Integer.MAX_VALUE, false).toLowerCase(Locale.ROOT);
        if (!READING_START.matcher(text).lookingAt() || WRITING_WORD.matcher(text).find()) {
            return false;
        }
        Matcher call = CALL.matcher(text);
        while (call.find()) {
            String name = call.group(1);
            // a schema may stand before the name, with space around the dot
            int before = call.start() - 1;
            while (before >= 0 && text.charAt(before) == ' ') {
                before--;
            }
            boolean qualified = before >= 0 && text.charAt(before) == '.';
            if (name.startsWith("\"") || !READING_CALLS.contains(name) || (qualified && !PG_CATALOG
                .matcher(text.substring(0, before)).find())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The name an application gave a statement with a leading comment, {@code /* name: orders.by-customer *}{@code /
     * select ...}: letters, digits, {@code . _ : -}, at most 64 characters.
     * @param sql the statement
     * @return the name, or {@code null} when the statement has none
     */
    public static @Nullable String queryName(@Nullable String sql) {
        if (sql == null) {
            return null;
        }
        Matcher name = QUERY_NAME.matcher(sql);
        return name.lookingAt() ? name.group(1) : null;
    }

    /**
     * The statement's command in upper case, such as {@code SELECT}, {@code INSERT} or {@code WITH}: its first
     * word after any comments and opening parentheses.
     * @param sql the statement
     * @return the command, or {@code null} when there is no word
     */
    public static @Nullable String command(@Nullable String sql) {
        if (sql == null) {
            return null;
        }
        Matcher command = COMMAND.matcher(sql);
        while (command.lookingAt()) {
            if (command.group(1) != null) {
                return command.group(1).toUpperCase(Locale.ROOT);
            }
            command.region(command.end(), sql.length());
        }
        return null;
    }

    private static String strip(String sql, int maxLength, boolean redacting) {
        StringBuilder out = new StringBuilder(Math.min(sql.length(), maxLength) + 1);
        int length = sql.length();
        int i = 0;
        boolean cut = false;
        while (i < length && out.length() <= maxLength) {
            char c = sql.charAt(i);
            if (c == '\'') {
                // in an escape string (E'...') a backslash escapes the next character, a quote included
                boolean escapes = escapeStringPrefix(out);
                int end = skipQuoted(sql, i + 1, '\'', escapes);
                out.append('?');
                if (redacting && !escapes && sql.lastIndexOf('\\', end - 1) > i) {
                    // Where standard_conforming_strings is off, a backslash escapes a quote in any string, and the
                    // literal may end elsewhere: for logs, nothing after it is shown.
                    cut = !sql.substring(end).isBlank();
                    i = length;
                }
                else {
                    i = end;
                }
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
                // block comments nest in PostgreSQL
                int depth = 1;
                i += 2;
                while (i < length && depth > 0) {
                    if (sql.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    }
                    else if (sql.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                    }
                    else {
                        i++;
                    }
                }
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
        return (text.length() > maxLength || i < length || cut)
                ? text.substring(0, Math.min(text.length(), maxLength - ELLIPSIS.length())) + ELLIPSIS : text;
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
        // as PostgreSQL's lexer: ASCII letters, digits and _, and any non-ASCII character; no digit first
        while (i < sql.length() && (isAsciiLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_'
                || sql.charAt(i) >= 0x80)) {
            i++;
        }
        boolean digitFirst = i > start + 1 && sql.charAt(start + 1) >= '0' && sql.charAt(start + 1) <= '9';
        if (i < sql.length() && sql.charAt(i) == '$' && !digitFirst) {
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
        return isAsciiLetterOrDigit(previous) || previous == '_' || previous == '$' || previous >= 0x80;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static void space(StringBuilder out) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
            out.append(' ');
        }
    }

}
