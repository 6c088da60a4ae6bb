package io.nexs.postgres.hook;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

}
