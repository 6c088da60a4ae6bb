package io.nexs.postgres.copy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/** A {@code COPY} statement built from checked identifiers. */
final class CopyStatement {

    final SqlIdentifier table;

    final List<SqlIdentifier> columns;

    final String sql;

    final @Nullable CopyFormat format;

    private CopyStatement(SqlIdentifier table, List<SqlIdentifier> columns, String sql, @Nullable CopyFormat format) {
        this.table = table;
        this.columns = columns;
        this.sql = sql;
        this.format = format;
    }

    static CopyStatement of(String table, List<String> columns, CopyFormat binary) {
        CopyStatement statement = of(table, columns, binary.toSql(false), null);
        if (statement.columns.isEmpty()) {
            throw new IllegalArgumentException("A COPY of objects names its columns: none were given for "
                    + statement.table);
        }
        return statement;
    }

    static CopyStatement of(String table, List<String> columns, String options, @Nullable CopyFormat format) {
        SqlIdentifier name = SqlIdentifier.table(table);
        List<SqlIdentifier> parsed = new ArrayList<>(columns.size());
        Set<SqlIdentifier> seen = new HashSet<>();
        for (String column : columns) {
            SqlIdentifier identifier = SqlIdentifier.column(column);
            if (!seen.add(identifier)) {
                throw new IllegalArgumentException("The column " + identifier + " is named twice in the COPY "
                        + "into " + name);
            }
            parsed.add(identifier);
        }
        StringBuilder sql = new StringBuilder("COPY ").append(name.toSql());
        if (!parsed.isEmpty()) {
            sql.append(" (");
            for (int i = 0; i < parsed.size(); i++) {
                sql.append((i > 0) ? ", " : "").append(parsed.get(i).toSql());
            }
            sql.append(')');
        }
        sql.append(" FROM STDIN ").append(options);
        return new CopyStatement(name, List.copyOf(parsed), sql.toString(), format);
    }

}
