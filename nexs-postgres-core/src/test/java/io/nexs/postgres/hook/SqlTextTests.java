package io.nexs.postgres.hook;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * SQL text as the slow-query log shows it: literals of every kind replaced, comments dropped, identifiers and
 * placeholders kept, whitespace collapsed, long text cut.
 */
class SqlTextTests {

    static Stream<Arguments> statements() {
        return Stream.of(
                arguments("string literals, with '' inside",
                        "select * from people where name = 'O''Brien' and city = 'Cork'",
                        "select * from people where name = ? and city = ?"),
                arguments("an empty string", "update t set a = '' where b = ''''", "update t set a = ? where b = ?"),
                arguments("an escape string with a backslash-quote", "select E'it\\'s secret' as x, 'ok'",
                        "select E? as x, ?"),
                arguments("an escape string with an escaped backslash at its end", "select e'tab\\\\', 'next'",
                        "select e?, ?"),
                arguments("a string right after an operator", "select * from t where type='x'",
                        "select * from t where type=?"),
                arguments("dollar quoting", "select $$it's $1$$, $body$ a $$ nested $$ b $body$ from t",
                        "select ?, ? from t"),
                arguments("a dollar-quoted function body", "do $fn$ begin perform secret_value(42); end $fn$",
                        "do ?"),
                arguments("placeholders kept", "select * from t where id = $1 and b = ? and c = $12",
                        "select * from t where id = $1 and b = ? and c = $12"),
                arguments("an identifier with a dollar", "select a$b$c, x from t", "select a$b$c, x from t"),
                arguments("line comments", "select a -- the 'secret' here\nfrom t -- and 42\n",
                        "select a from t"),
                arguments("block comments", "select /* 'secret' 7 */ a from/*x*/t", "select a from t"),
                arguments("numbers", "select 42, 3.14, 1e10, -7, 0x1F, .5 from t where n > 100",
                        "select ?, ?, ?, -?, ?, .? from t where n > ?"),
                arguments("identifiers with digits kept", "select t1.c2, col_3 from t1 join s2x on t1.id = s2x.id",
                        "select t1.c2, col_3 from t1 join s2x on t1.id = s2x.id"),
                arguments("quoted identifiers kept", "select \"Weird \"\"Name\"\"\", \"t1\" from \"My Table\"",
                        "select \"Weird \"\"Name\"\"\", \"t1\" from \"My Table\""),
                arguments("whitespace collapsed", "  select\n\ta,\r\n   b\n\nfrom   t  ", "select a, b from t"),
                arguments("an unterminated string", "select 'never closed", "select ?"),
                arguments("typed and bit strings", "select date '2024-01-01', B'0101', U&'d\\0061t'",
                        "select date ?, B?, U&?"),
                arguments("nothing", "", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("statements")
    void normalizes(String description, String sql, String expected) {
        assertThat(SqlText.normalize(sql)).isEqualTo(expected);
    }

    @Test
    void nullIsEmpty() {
        assertThat(SqlText.normalize(null)).isEmpty();
    }

    @Test
    void longTextIsCutToTheMaximumWithAnEllipsis() {
        String sql = "select " + "column_name, ".repeat(100) + "last from t";
        String text = SqlText.normalize(sql);
        assertThat(text).hasSizeLessThanOrEqualTo(SqlText.MAX_LENGTH).startsWith("select column_name, ")
            .endsWith("...");
        String exact = "select " + "a".repeat(SqlText.MAX_LENGTH - "select ".length());
        assertThat(SqlText.normalize(exact)).as("exactly the maximum is not cut").isEqualTo(exact);
    }

    @Test
    void aLiteralAtTheCutNeverShowsAndAHugeLiteralIsOneMark() {
        String secret = "Secret-At-The-Cut-" + "z".repeat(50);
        String sql = "select " + "x, ".repeat(160) + "'" + secret + "' from t";
        assertThat(SqlText.normalize(sql)).doesNotContain("Secret").doesNotContain("zzz");
        assertThat(SqlText.normalize("select '" + "s".repeat(10_000) + "' from t")).isEqualTo("select ? from t");
    }

    @ParameterizedTest
    @ValueSource(strings = { "select 1", "SELECT id, name FROM people WHERE id = $1",
            "  (select count(*) from t) union all (select max(id) from u)",
            "with recent as (select * from orders where placed > now() - interval '1 day') select count(*) from recent",
            "values (1, 'a'), (2, 'b')", "table people", "show server_version",
            "select coalesce(sum(total), 0)::numeric(12, 2) from orders where id in (select id from picked)",
            "select row_number() over (partition by a order by b) from t",
            "select 'insert into x' as text, $$ nextval('s') $$ as body",
            "/* report: totals */ select pg_catalog.count(*) from t -- delete everything",
            "select exists (select 1 from t where lower(name) = ?)",
            "select jsonb_build_object('a', 1), pg_sleep(0.1), date_trunc('day', now())" })
    void queriesThatOnlyReadAreRecognised(String sql) {
        assertThat(SqlText.onlyReads(sql)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "insert into t values (1) returning id", "update t set a = 1 returning a",
            "with gone as (delete from t returning id) select count(*) from gone", "select * into copy_of_t from t",
            "select nextval('order_ids')", "select setval('s', 1)", "select add_order(?)", "select app.add_order(?)",
            "select \"count\"(x) from t", "select pg_advisory_lock(1)", "select set_config('a.b', 'c', false)",
            "select txid_current()", "call do_work()", "merge into t using u on t.id = u.id when matched then delete",
            "truncate t", "lock table t", "create table t as select 1", "explain analyze delete from t",
            "set search_path = x", "do $$ begin perform 1; end $$", "", "   " })
    void statementsThatMayWriteAreNotTakenForReads(String sql) {
        assertThat(SqlText.onlyReads(sql)).isFalse();
    }

    @Test
    void nothingIsNotARead() {
        assertThat(SqlText.onlyReads(null)).isFalse();
    }

    @Test
    void aLeadingNameCommentNamesTheStatement() {
        assertThat(SqlText.queryName("/* name: orders.by-customer */ select * from orders")).isEqualTo("orders.by-customer");
        assertThat(SqlText.queryName("  /*name:report_1*/select 1")).isEqualTo("report_1");
        assertThat(SqlText.queryName("select 1 /* name: late */")).as("only a leading comment").isNull();
        assertThat(SqlText.queryName("/* name: has spaces */ select 1")).isNull();
        assertThat(SqlText.queryName("/* name: " + "x".repeat(65) + " */ select 1")).as("at most 64").isNull();
        assertThat(SqlText.queryName(null)).isNull();
    }

    @Test
    void theCommandIsTheFirstWordAfterCommentsAndParentheses() {
        assertThat(SqlText.command("select 1")).isEqualTo("SELECT");
        assertThat(SqlText.command("/* name: x */ -- why\n ( (select 1) union (select 2))")).isEqualTo("SELECT");
        assertThat(SqlText.command("  insert into t values (1)")).isEqualTo("INSERT");
        assertThat(SqlText.command("With recent as (select 1) select * from recent")).isEqualTo("WITH");
        assertThat(SqlText.command("1 + 1")).isNull();
        assertThat(SqlText.command("")).isNull();
        assertThat(SqlText.command(null)).isNull();
    }

    @Test
    void aBackslashInAPlainStringHidesEverythingAfterItFromLogs() {
        // where standard_conforming_strings is off, \' does not end the literal, so its end is uncertain
        String text = SqlText.normalize("select * from t where a = 'it\\'s secret' and b = 1");
        assertThat(text).doesNotContain("secret").startsWith("select * from t where a = ?").endsWith("...");
        assertThat(SqlText.normalize("select 'C:\\temp' as path")).doesNotContain("temp");
        assertThat(SqlText.onlyReads("select 'C:\\', nextval('s')")).as("the read test lexes as the server does")
            .isFalse();
    }

}
