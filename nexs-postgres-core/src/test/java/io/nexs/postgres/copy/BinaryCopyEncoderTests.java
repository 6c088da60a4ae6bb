package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Rows encoded in the binary COPY format, sent to a real server and read back as text, for every type the encoder
 * writes, NULLs and extremes included: timestamps before 2000 and after 2038, numerics with many digits and
 * negative scales, empty and non-ASCII text.
 */
@ExtendWith(PostgresExtension.class)
class BinaryCopyEncoderTests {

    private static final String COLUMNS = "b, s, i, l, f, d, t, j, by, u, dt, tm, ts, tstz, n";

    private static Connection connect(PostgresNode node) throws SQLException {
        Connection connection = DriverManager.getConnection(node.jdbcUrl(), node.username(), node.password());
        try (Statement statement = connection.createStatement()) {
            statement.execute("set timezone = 'UTC'");
            statement.execute("drop table if exists copied");
            statement.execute("create table copied (row_no serial, b boolean, s smallint, i integer, l bigint, "
                    + "f real, d double precision, t text, j jsonb, by bytea, u uuid, dt date, tm time, "
                    + "ts timestamp, tstz timestamptz, n numeric)");
        }
        return connection;
    }

    private static void copy(Connection connection, BinaryCopyEncoder encoder) throws SQLException {
        CopyIn copy = connection.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("copy copied (" + COLUMNS + ") from stdin (format binary)");
        copy.writeToCopy(encoder.buffer(), 0, encoder.size());
        copy.endCopy();
    }

    private static List<String> readBack(Connection connection) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("select concat_ws('|', " + COLUMNS.replace(", ", "::text, ")
                        + "::text) from copied order by row_no")) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }

    @Test
    void everyTypeRoundTripsThroughTheServer(PostgresNode node) throws SQLException {
        BinaryCopyEncoder encoder = new BinaryCopyEncoder(64);
        encoder.header();
        encoder.row(15);
        encoder.writeBoolean(true);
        encoder.writeShort((short) -32768);
        encoder.writeInt(Integer.MAX_VALUE);
        encoder.writeLong(Long.MIN_VALUE);
        encoder.writeFloat(1.5f);
        encoder.writeDouble(-2.25e100);
        encoder.writeText("héllo, wörld ✓ 😀");
        encoder.writeJsonb("{\"a\": [1, 2]}");
        encoder.writeBytes(new byte[] { 0, 1, (byte) 0xFF });
        encoder.writeUuid(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
        encoder.writeDate(LocalDate.of(1969, 7, 20));
        encoder.writeTime(LocalTime.of(23, 59, 59, 123_456_000));
        encoder.writeTimestamp(LocalDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000));
        encoder.writeTimestamptz(Instant.parse("2099-01-19T03:14:08.000001Z"));
        encoder.writeNumeric(new BigDecimal("-12345678901234567890.0123456789012345"));
        // a row of NULLs, then extremes
        encoder.row(15);
        for (int i = 0; i < 15; i++) {
            encoder.writeNull();
        }
        encoder.row(15);
        encoder.writeBoolean(false);
        encoder.writeShort((short) 0);
        encoder.writeInt(0);
        encoder.writeLong(0);
        encoder.writeFloat(0f);
        encoder.writeDouble(0d);
        encoder.writeText("");
        encoder.writeJsonb("[]");
        encoder.writeBytes(new byte[0]);
        encoder.writeUuid(new UUID(0, 0));
        encoder.writeDate(LocalDate.of(2000, 1, 1));
        encoder.writeTime(LocalTime.MIDNIGHT);
        encoder.writeTimestamp(LocalDateTime.of(1900, 1, 1, 0, 0, 0, 500_000));
        encoder.writeTimestamptz(OffsetDateTime.of(2038, 1, 19, 5, 14, 8, 0, ZoneOffset.ofHours(2)));
        encoder.writeNumeric(new BigDecimal("0.0001"));
        for (String number : List.of("0", "0.00", "12.5", "1E+5", "-0.5", "99999999", "100000000",
                "3.14159265358979323846264338327950288419716939937510", "-1234.5600")) {
            encoder.row(15);
            for (int i = 0; i < 14; i++) {
                encoder.writeNull();
            }
            encoder.writeNumeric(new BigDecimal(number));
        }
        encoder.trailer();
        assertThat(encoder.capacity()).as("grew for the rows it was given").isGreaterThan(64);

        try (Connection connection = connect(node)) {
            copy(connection, encoder);
            List<String> rows = readBack(connection);
            assertThat(rows.get(0)).isEqualTo("true|-32768|2147483647|-9223372036854775808|1.5|-2.25e+100|"
                    + "héllo, wörld ✓ 😀|{\"a\": [1, 2]}|\\x0001ff|123e4567-e89b-12d3-a456-426614174000|1969-07-20|"
                    + "23:59:59.123456|1999-12-31 23:59:59.999999|2099-01-19 03:14:08.000001+00|"
                    + "-12345678901234567890.0123456789012345");
            assertThat(rows.get(1)).as("NULLs are left out by concat_ws").isEmpty();
            assertThat(rows.get(2)).isEqualTo("false|0|0|0|0|0||[]|\\x|00000000-0000-0000-0000-000000000000|"
                    + "2000-01-01|00:00:00|1900-01-01 00:00:00.0005|2038-01-19 03:14:08+00|0.0001");
            assertThat(rows.subList(3, rows.size())).containsExactly("0", "0.00", "12.5", "100000", "-0.5",
                    "99999999", "100000000", "3.14159265358979323846264338327950288419716939937510", "-1234.5600");
        }
    }

    @Test
    void textWithANulCharacterIsRefusedBeforeAnythingIsWrittenForIt() {
        BinaryCopyEncoder encoder = new BinaryCopyEncoder(64);
        encoder.header();
        int before = encoder.size();
        assertThatIllegalArgumentException().isThrownBy(() -> encoder.writeText("a\0b")).withMessageContaining("NUL");
        assertThat(encoder.size()).isEqualTo(before);
        assertThatIllegalArgumentException()
            .isThrownBy(() -> encoder.writeTimestamptz(Instant.parse("+300000-01-01T00:00:00Z")))
            .withMessageContaining("outside PostgreSQL's range");
        assertThat(encoder.size()).isEqualTo(before);
    }

    @Test
    void aRowTakenBackLeavesNoTrace() {
        BinaryCopyEncoder encoder = new BinaryCopyEncoder(64);
        encoder.header();
        int mark = encoder.mark();
        encoder.row(2);
        encoder.writeInt(1);
        encoder.rewind(mark);
        assertThat(encoder.size()).isEqualTo(mark);
        encoder.clear();
        assertThat(encoder.size()).isZero();
    }

}
