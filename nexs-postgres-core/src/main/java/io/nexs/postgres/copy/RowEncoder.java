package io.nexs.postgres.copy;

import java.util.List;

import io.nexs.postgres.query.JsonCodec;
import org.jspecify.annotations.Nullable;

/** The columns of a load and how to write a row of the application into them. */
final class RowEncoder {

    private final List<CopyColumn> types;

    private final CopyColumn[] columns;

    private final RowValues values;

    private final @Nullable Object[] row;

    private final @Nullable JsonCodec json;

    /** Which columns take an object through the JSON codec, worked out once rather than per value. */
    private final boolean[] jsonColumns;

    RowEncoder(List<CopyColumn> types, @Nullable JsonCodec json) {
        this.json = json;
        this.jsonColumns = new boolean[types.size()];
        for (int i = 0; i < this.jsonColumns.length; i++) {
            this.jsonColumns[i] = json != null && types.get(i).isJson();
        }
        this.types = types;
        this.columns = types.toArray(new CopyColumn[0]);
        this.values = new RowValues(types.stream().map(CopyColumn::name).toList());
        this.row = new Object[this.columns.length];
    }

    /** Writes a row, or nothing when one of its values is refused. */
    void write(BinaryCopyEncoder encoder, Object row, long number) {
        this.values.read(row, number, this.row);
        int mark = encoder.mark();
        try {
            encoder.row(this.columns.length);
            for (int i = 0; i < this.columns.length; i++) {
                CopyColumn column = this.columns[i];
                Object value = this.row[i];
                if (this.jsonColumns[i] && value != null && !(value instanceof String)) {
                    value = toJson(column, value, number);
                }
                column.write(encoder, value, number);
            }
        }
        catch (RuntimeException ex) {
            encoder.rewind(mark);
            throw ex;
        }
    }

    /** An object for a json column, written by the application's JSON codec. */
    private String toJson(CopyColumn column, Object value, long number) {
        try {
            return this.json.write(value);
        }
        catch (RuntimeException ex) {
            // the codec's message may quote the value
            throw new CopyValueException(number, column.name(), column.type(), value.getClass(),
                    new IllegalArgumentException("it could not be written as JSON ("
                            + ex.getClass().getSimpleName() + ")"));
        }
    }

    @Override
    public String toString() {
        return "RowEncoder" + this.types;
    }

}
