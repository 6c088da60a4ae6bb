package io.nexs.postgres.copy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.InvalidDataAccessApiUsageException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * CSV and PostgreSQL text in and out, and binary out, against a real server: quoting edge cases survive, a bad
 * line is named without its content and loads nothing, and what {@code copyOut} writes loads back unchanged.
 */
@ExtendWith(PostgresExtension.class)
class CopyTextTests {

    private static HikariDataSource dataSource;

    private static PostgresTemplate postgres;

    @BeforeAll
    static void start(PostgresNode node) {
        dataSource = TestDataSources.pooled(node, 3);
        postgres = new PostgresTemplate(dataSource);
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    @BeforeEach
    void table() {
        postgres.exec("drop table if exists notes");
        postgres.exec("create table notes (id int primary key, body text, price numeric(8,2))");
    }

    private static List<String> bodies() {
        return postgres.queryAll("select coalesce(body, '<null>') from notes order by id",
                (rs, i) -> rs.getString(1));
    }

    @Test
    void csvQuotingEdgeCasesSurvive() {
        String csv = "id,body,price\r\n"
                + "1,plain,1.50\r\n"
                + "2,\"with, comma\",2\r\n"
                + "3,\"with \"\"quotes\"\"\",\r\n"
                + "4,\"two\nlines\",4.00\r\n"
                + "5,\"\",5\r\n"
                + "6,,6\r\n"
                + "7,ünïcødé ✓ 日本,7\r\n"
                + "8,\"  spaces kept  \",8\r\n"
                + "9,\\N is text in CSV,9\r\n";
        CopyResult result = postgres.copy().into("notes")
                .from(new StringReader(csv), CopyFormat.csv().withHeader(true));
        assertThat(result.rows()).isEqualTo(9);
        assertThat(bodies()).containsExactly("plain", "with, comma", "with \"quotes\"", "two\nlines", "", "<null>",
                "ünïcødé ✓ 日本", "  spaces kept  ", "\\N is text in CSV");
        assertThat(postgres.queryCount("select count(*) from notes where price is null")).isOne();
    }

    @Test
    void csvWithAnotherDelimiterQuoteAndNullMarker() {
        String csv = "1;'a;b';NULL\n2;'it''s';3.25\n3;NULL;1\n";
        CopyFormat format = CopyFormat.csv().withDelimiter(';').withQuote('\'').withNull("NULL");
        postgres.copy().into("notes").columns("id", "body", "price").from(new StringReader(csv), format);
        assertThat(bodies()).containsExactly("a;b", "it's", "<null>");
    }

    @Test
    void aBadLineIsNamedWithoutItsContentAndLoadsNothing() {
        String csv = "id,body,price\n1,a,1\n2,b,2\n3,c,secret-42\n4,d,4\n";
        Throwable failure = catchThrowable(() -> postgres.copy().into("notes")
                .from(new StringReader(csv), CopyFormat.csv().withHeader(true)));
        assertThat(failure).hasMessageContaining("Line 4, column price")
            .hasMessageContaining("invalid input syntax for type numeric")
            .hasMessageNotContaining("secret");
        assertThat(postgres.queryCount("select count(*) from notes")).isZero();
        Throwable duplicate = catchThrowable(() -> postgres.copy().into("notes")
                .from(new StringReader("1,a,1\n2,b,2\n1,secret,3\n"), CopyFormat.csv()));
        assertThat(duplicate).isInstanceOf(DataIntegrityViolationException.class)
            .hasMessageContaining("Line 3")
            .hasMessageNotContaining("secret");
        assertThat(postgres.queryCount("select count(*) from notes")).isZero();
    }

    @Test
    void textOutLoadsBackUnchangedWithEscapes() {
        postgres.exec("insert into notes values (1, e'tab\\there', 1), (2, e'back\\\\slash', null), "
                + "(3, e'line\\nbreak', 3), (4, null, 4), (5, '\\N', 5)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long rows = postgres.copy().out("select * from notes order by id;").to(out, CopyFormat.tsv());
        assertThat(rows).isEqualTo(5);
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("1\ttab\\there\t1.00\n").contains("4\t\\N\t4.00\n");
        List<String> before = bodies();
        postgres.exec("truncate notes");
        postgres.copy().into("notes").from(new ByteArrayInputStream(out.toByteArray()), CopyFormat.tsv());
        assertThat(bodies()).isEqualTo(before).contains("tab\there", "back\\slash", "line\nbreak", "<null>", "\\N");
    }

    @Test
    void csvOutHasAHeaderAndQuotesWhatNeedsIt() {
        postgres.exec("insert into notes values (1, 'a,b', 1.5), (2, null, null), (3, 'say \"hi\"', 3)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        postgres.copy().out("select id, body, price from notes order by id").to(out, CopyFormat.csv().withHeader(true));
        assertThat(out.toString(StandardCharsets.UTF_8))
            .isEqualTo("id,body,price\n1,\"a,b\",1.50\n2,,\n3,\"say \"\"hi\"\"\",3.00\n");
    }

    @Test
    void binaryOutLoadsBackThroughBinaryIn() {
        postgres.exec("insert into notes select g, 'note ' || g, g / 4.0 from generate_series(1, 1000) g");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(postgres.copy().out("select * from notes").to(out, CopyFormat.binary())).isEqualTo(1000);
        byte[] bytes = out.toByteArray();
        assertThat(Arrays.copyOf(bytes, 11)).isEqualTo("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        postgres.exec("truncate notes");
        CopyResult result = postgres.copy().into("notes").from(new ByteArrayInputStream(bytes), CopyFormat.binary());
        assertThat(result.rows()).isEqualTo(1000);
        assertThat(result.bytes()).isEqualTo(bytes.length);
        assertThat(postgres.queryCount("select sum(id) from notes where body = 'note ' || id")).isEqualTo(500_500);
    }

    @Test
    void aByteStreamInAnotherEncodingIsDecodedByTheServer() {
        byte[] latin1 = "1,café crème,1\n".getBytes(StandardCharsets.ISO_8859_1);
        postgres.copy().into("notes")
                .from(new ByteArrayInputStream(latin1), CopyFormat.csv().withEncoding(StandardCharsets.ISO_8859_1));
        assertThat(bodies()).containsExactly("café crème");
    }

    @Test
    void textThatIsNotValidUnicodeIsRefusedAndLoadsNothing() {
        String broken = "1,ok,1\n2,bad \uD800 surrogate,2\n";
        assertThatExceptionOfType(UncheckedIOException.class)
            .isThrownBy(() -> postgres.copy().into("notes").from(new StringReader(broken), CopyFormat.csv()))
            .withMessageContaining("lone surrogate");
        assertThat(postgres.queryCount("select count(*) from notes")).isZero();
    }

    @Test
    void formatsThatPostgresWouldMisreadAreRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> CopyFormat.csv().withDelimiter('"'))
            .withMessageContaining("must differ");
        assertThatIllegalArgumentException().isThrownBy(() -> CopyFormat.csv().withDelimiter('\n'));
        assertThatIllegalArgumentException().isThrownBy(() -> CopyFormat.tsv().withDelimiter('\\'));
        assertThatIllegalArgumentException().isThrownBy(() -> CopyFormat.csv().withNull("a\nb"));
        assertThatExceptionOfType(InvalidDataAccessApiUsageException.class)
            .isThrownBy(() -> postgres.copy().into("notes").from(new StringReader(""), CopyFormat.binary()));
        assertThat(CopyFormat.csv().withDelimiter('\'').withQuote('"').withNull("it's").toSql(true))
            .isEqualTo("(FORMAT csv, DELIMITER E'\\'', QUOTE E'\"', NULL E'it\\'s', ENCODING E'UTF-8')");
    }

}
