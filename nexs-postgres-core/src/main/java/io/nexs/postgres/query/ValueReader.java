package io.nexs.postgres.query;

import java.sql.ResultSet;
import java.sql.SQLException;

import org.jspecify.annotations.Nullable;

/**
 * Reads one value of the current row: a column converted to a property's type, or a nested object built from
 * several columns. Made once per plan, called once per row.
 */
@FunctionalInterface
interface ValueReader {

    /**
     * Reads the value.
     * @param rs the result set, on a row
     * @return the value, {@code null} for SQL NULL
     * @throws SQLException when the driver fails
     */
    @Nullable Object read(ResultSet rs) throws SQLException;

}
