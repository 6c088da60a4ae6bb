package io.nexs.postgres.copy;

import java.sql.ResultSetMetaData;
import java.sql.SQLException;

/**
 * The columns of a {@code COPY} out, copied from the driver's description of its query before the {@code COPY}
 * starts: the driver's own metadata may ask the connection about types, which it cannot while the {@code COPY}
 * runs.
 */
final class CopyOutMetaData implements ResultSetMetaData {

    private final String[] labels;

    private final int[] types;

    private final String[] typeNames;

    private final String[] classNames;

    private CopyOutMetaData(String[] labels, int[] types, String[] typeNames, String[] classNames) {
        this.labels = labels;
        this.types = types;
        this.typeNames = typeNames;
        this.classNames = classNames;
    }

    static CopyOutMetaData of(ResultSetMetaData source) throws SQLException {
        int count = source.getColumnCount();
        String[] labels = new String[count];
        int[] types = new int[count];
        String[] typeNames = new String[count];
        String[] classNames = new String[count];
        for (int i = 0; i < count; i++) {
            labels[i] = source.getColumnLabel(i + 1);
            types[i] = source.getColumnType(i + 1);
            typeNames[i] = source.getColumnTypeName(i + 1);
            classNames[i] = source.getColumnClassName(i + 1);
        }
        return new CopyOutMetaData(labels, types, typeNames, classNames);
    }

    private int index(int column) throws SQLException {
        if (column < 1 || column > this.labels.length) {
            throw new SQLException("No column " + column + "; there are " + this.labels.length);
        }
        return column - 1;
    }

    @Override
    public int getColumnCount() {
        return this.labels.length;
    }

    @Override
    public String getColumnLabel(int column) throws SQLException {
        return this.labels[index(column)];
    }

    @Override
    public String getColumnName(int column) throws SQLException {
        return getColumnLabel(column);
    }

    @Override
    public int getColumnType(int column) throws SQLException {
        return this.types[index(column)];
    }

    @Override
    public String getColumnTypeName(int column) throws SQLException {
        return this.typeNames[index(column)];
    }

    @Override
    public String getColumnClassName(int column) throws SQLException {
        return this.classNames[index(column)];
    }

    @Override
    public boolean isAutoIncrement(int column) throws SQLException {
        index(column);
        return false;
    }

    @Override
    public boolean isCaseSensitive(int column) throws SQLException {
        index(column);
        return true;
    }

    @Override
    public boolean isSearchable(int column) throws SQLException {
        index(column);
        return false;
    }

    @Override
    public boolean isCurrency(int column) throws SQLException {
        index(column);
        return false;
    }

    @Override
    public int isNullable(int column) throws SQLException {
        index(column);
        return columnNullableUnknown;
    }

    @Override
    public boolean isSigned(int column) throws SQLException {
        index(column);
        return true;
    }

    @Override
    public int getColumnDisplaySize(int column) throws SQLException {
        index(column);
        return 0;
    }

    @Override
    public String getSchemaName(int column) throws SQLException {
        index(column);
        return "";
    }

    @Override
    public int getPrecision(int column) throws SQLException {
        index(column);
        return 0;
    }

    @Override
    public int getScale(int column) throws SQLException {
        index(column);
        return 0;
    }

    @Override
    public String getTableName(int column) throws SQLException {
        index(column);
        return "";
    }

    @Override
    public String getCatalogName(int column) throws SQLException {
        index(column);
        return "";
    }

    @Override
    public boolean isReadOnly(int column) throws SQLException {
        index(column);
        return true;
    }

    @Override
    public boolean isWritable(int column) throws SQLException {
        index(column);
        return false;
    }

    @Override
    public boolean isDefinitelyWritable(int column) throws SQLException {
        index(column);
        return false;
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("Not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }

}
