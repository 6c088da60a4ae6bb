package io.nexs.postgres.copy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Table and column names as PostgreSQL reads them: folded or quoted, schema-qualified tables, and injection
 * attempts refused with the position of the problem.
 */
class SqlIdentifierTests {

    @Test
    void unquotedNamesFoldToLowerCaseAndAreQuotedInSql() {
        assertThat(SqlIdentifier.table("Orders").toSql()).isEqualTo("\"orders\"");
        assertThat(SqlIdentifier.table("sales.Order_Lines$2").parts()).containsExactly("sales", "order_lines$2");
        assertThat(SqlIdentifier.table("sales.Order_Lines$2").toSql()).isEqualTo("\"sales\".\"order_lines$2\"");
        assertThat(SqlIdentifier.column("créé").toSql()).isEqualTo("\"créé\"");
    }

    @Test
    void quotedNamesKeepTheirCaseAndEscapedQuotes() {
        assertThat(SqlIdentifier.table("\"Sales\".\"My \"\"Orders\"\"; x\"").parts())
            .containsExactly("Sales", "My \"Orders\"; x");
        assertThat(SqlIdentifier.table("\"Sales\".\"My \"\"Orders\"\"; x\"").toSql())
            .isEqualTo("\"Sales\".\"My \"\"Orders\"\"; x\"");
        assertThat(SqlIdentifier.table("public.\"Order\"")).isEqualTo(SqlIdentifier.table("\"public\".\"Order\""));
    }

    @ParameterizedTest
    @ValueSource(strings = { "orders; drop table x", "orders --", "orders/*x*/", "a.b.c", "1orders", "$orders",
            "orders.", ".orders", "\"unclosed", "\"\"", "or ders", "orders)", "a\u0000b", "" })
    void anythingElseIsRefusedBeforeAnySqlIsSent(String name) {
        assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.table(name))
            .withMessageContaining("table name");
    }

    @Test
    void theMessageSaysWhereAndWhy() {
        assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.table("orders; drop table x"))
            .withMessage("The table name \"orders; drop table x\" is not a valid name at position 7: only letters, "
                    + "digits, _ and $ may follow, or a dot before the next part");
        assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.column("t.amount"))
            .withMessageContaining("must not be qualified");
        assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.table("x".repeat(64)))
            .withMessageContaining("longer than 63 bytes");
    }

}
