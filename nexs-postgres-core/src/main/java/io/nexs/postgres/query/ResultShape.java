package io.nexs.postgres.query;

import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.StringJoiner;

import org.jspecify.annotations.Nullable;

/**
 * The shape of a result set, the key of the plan cache: its column labels and types. Two result sets of the same
 * shape map through the same plan. Immutable.
 */
final class ResultShape {

    private final String[] labels;

    private final int[] types;

    private final String[] typeNames;

    private final int hash;

    private ResultShape(String[] labels, int[] types, String[] typeNames) {
        this.labels = labels;
        this.types = types;
        this.typeNames = typeNames;
        this.hash = 31 * (31 * Arrays.hashCode(labels) + Arrays.hashCode(types)) + Arrays.hashCode(typeNames);
    }

    /**
     * Reads the shape of a result set.
     * @param metaData the result set's metadata
     * @return the shape
     * @throws SQLException when the metadata cannot be read
     */
    static ResultShape of(ResultSetMetaData metaData) throws SQLException {
        int count = metaData.getColumnCount();
        String[] labels = new String[count];
        int[] types = new int[count];
        String[] typeNames = new String[count];
        for (int i = 0; i < count; i++) {
            labels[i] = metaData.getColumnLabel(i + 1);
            types[i] = metaData.getColumnType(i + 1);
            typeNames[i] = baseTypeName(metaData.getColumnTypeName(i + 1));
        }
        return new ResultShape(labels, types, typeNames);
    }

    /**
     * PgJDBC names a column whose default is a sequence after the serial pseudo-type; its values are the
     * integer type's all the same.
     */
    private static String baseTypeName(String typeName) {
        return switch (typeName) {
            case "serial" -> "int4";
            case "bigserial" -> "int8";
            case "smallserial" -> "int2";
            default -> typeName;
        };
    }

    int size() {
        return this.labels.length;
    }

    /**
     * The columns, in order.
     * @return the columns
     */
    ResultColumn[] columns() {
        ResultColumn[] columns = new ResultColumn[this.labels.length];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = ResultColumn.of(i + 1, this.labels[i], this.types[i], this.typeNames[i]);
        }
        return columns;
    }

    /**
     * The labels, as error messages list them.
     * @return the labels joined by commas
     */
    String labels() {
        StringJoiner joiner = new StringJoiner(", ");
        for (String label : this.labels) {
            joiner.add(label);
        }
        return joiner.toString();
    }

    @Override
    public boolean equals(@Nullable Object other) {
        if (this == other) {
            return true;
        }
        return other instanceof ResultShape shape && this.hash == shape.hash && Arrays.equals(this.types, shape.types)
                && Arrays.equals(this.labels, shape.labels) && Arrays.equals(this.typeNames, shape.typeNames);
    }

    @Override
    public int hashCode() {
        return this.hash;
    }

    @Override
    public String toString() {
        return "ResultShape[" + labels() + "]";
    }

}
