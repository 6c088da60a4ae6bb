package io.nexs.postgres.copy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

import io.nexs.postgres.error.SqlStates;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The columns of a COPY, looked up on a real server before the first row, and values written in each column's
 * binary form: Java values convert where nothing is lost, and a value that does not fit is refused with its row
 * and column, never its content.
 */
@ExtendWith(PostgresExtension.class)
class CopyColumnTests {

    private static Connection connect(PostgresNode node) throws SQLException {
        Connection connection = DriverManager.getConnection(node.jdbcUrl(), node.username(), node.password());
        try (Statement statement = connection.createStatement()) {
            statement.execute("set timezone = 'UTC'");
            statement.execute("create schema if not exists sales");
            statement.execute("drop table if exists sales.\"Orders\"");
            statement.execute("create table sales.\"Orders\" (id bigint, qty int, price numeric(12,2), "
                    + "placed timestamptz, day date, ref uuid, note varchar(20), spot point)");
        }
        return connection;
    }

    @Test
    void looksUpTheColumnsInTheOrderGiven(PostgresNode node) throws SQLException {
        try (Connection connection = connect(node)) {
            List<CopyColumn> columns = CopyColumn.lookup(connection, SqlIdentifier.table("sales.\"Orders\""),
                    List.of(SqlIdentifier.column("price"), SqlIdentifier.column("ID"), SqlIdentifier.column("note")));
            assertThat(columns).extracting(CopyColumn::name).containsExactly("price", "id", "note");
            assertThat(columns).extracting(CopyColumn::type)
                .containsExactly("numeric(12,2)", "bigint", "character varying(20)");
        }
    }

    @Test
    void aMissingColumnAnUnsupportedTypeAndAMissingTableAreNamed(PostgresNode node) throws SQLException {
        try (Connection connection = connect(node)) {
            SqlIdentifier table = SqlIdentifier.table("sales.\"Orders\"");
            assertThatIllegalArgumentException()
                .isThrownBy(() -> CopyColumn.lookup(connection, table, List.of(SqlIdentifier.column("amount"))))
                .withMessageContaining("has no column \"amount\"")
                .withMessageContaining("price");
            assertThatIllegalArgumentException()
                .isThrownBy(() -> CopyColumn.lookup(connection, table, List.of(SqlIdentifier.column("spot"))))
                .withMessageContaining("of type point");
            assertThatExceptionOfType(SQLException.class)
                .isThrownBy(() -> CopyColumn.lookup(connection, SqlIdentifier.table("sales.orders"),
                        List.of(SqlIdentifier.column("id"))))
                .satisfies((ex) -> assertThat(SqlStates.of(ex)).isEqualTo("42P01"));
        }
    }

    @Test
    void javaValuesAreWrittenInTheColumnsFormAndBadOnesAreRefusedWithRowAndColumn(PostgresNode node)
            throws SQLException {
        try (Connection connection = connect(node)) {
            List<CopyColumn> columns = CopyColumn.lookup(connection, SqlIdentifier.table("sales.\"Orders\""),
                    List.of("id", "qty", "price", "placed", "day", "ref", "note").stream()
                        .map(SqlIdentifier::column)
                        .toList());
            BinaryCopyEncoder encoder = new BinaryCopyEncoder(256);
            encoder.header();
            Object[] values = { 7, (short) 3, 12.5, Instant.parse("2026-11-26T10:00:00Z"), LocalDate.of(2026, 11, 26),
                    "123e4567-e89b-12d3-a456-426614174000", "first" };
            encoder.row(columns.size());
            for (int i = 0; i < columns.size(); i++) {
                columns.get(i).write(encoder, values[i], 1);
            }
            encoder.row(columns.size());
            for (CopyColumn column : columns) {
                column.write(encoder, null, 2);
            }
            int beforeBadValue = encoder.size();
            assertThatExceptionOfType(CopyValueException.class)
                .isThrownBy(() -> columns.get(1).write(encoder, 5_000_000_000L, 3))
                .satisfies((ex) -> {
                    assertThat(ex.getRow()).isEqualTo(3);
                    assertThat(ex.getColumn()).isEqualTo("qty");
                    assertThat(ex).hasMessage("Row 3, column qty (integer): a java.lang.Long cannot be written "
                            + "there: it is out of the column's range")
                        .hasMessageNotContaining("5000000000");
                });
            assertThatExceptionOfType(CopyValueException.class)
                .isThrownBy(() -> columns.get(5).write(encoder, "secret-not-a-uuid", 4))
                .withMessageContaining("column ref (uuid)")
                .withMessageNotContaining("secret");
            assertThatExceptionOfType(CopyValueException.class)
                .isThrownBy(() -> columns.get(4).write(encoder, "2026-11-26", 5))
                .withMessageContaining("not of a type the column takes");
            assertThat(encoder.size()).as("nothing written for refused values").isEqualTo(beforeBadValue);
            encoder.trailer();

            CopyIn copy = connection.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn("copy sales.\"Orders\" (id, qty, price, placed, day, ref, note) from stdin (format binary)");
            copy.writeToCopy(encoder.buffer(), 0, encoder.size());
            assertThat(copy.endCopy()).isEqualTo(2);
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("select id, qty, price::text, placed::text, day::text, "
                            + "ref::text, note from sales.\"Orders\" where id is not null")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getLong(1)).isEqualTo(7);
                assertThat(rows.getInt(2)).isEqualTo(3);
                assertThat(rows.getString(3)).isEqualTo("12.50");
                assertThat(rows.getString(4)).isEqualTo("2026-11-26 10:00:00+00");
                assertThat(rows.getString(5)).isEqualTo("2026-11-26");
                assertThat(rows.getString(6)).isEqualTo(UUID.fromString("123e4567-e89b-12d3-a456-426614174000").toString());
                assertThat(rows.getString(7)).isEqualTo("first");
            }
        }
    }

}
