package io.nexs.postgres.copy;

/**
 * A value that does not fit its column, found before it was sent: the message names the row, the column, the
 * column's type, the value's Java type and the reason, never the value itself.
 */
public class CopyValueException extends IllegalArgumentException {

    private final long row;

    private final String column;

    /**
     * Creates the exception.
     * @param row the row's number, from 1
     * @param column the column
     * @param type the column's type
     * @param valueType the value's Java type
     * @param cause why it does not fit
     */
    public CopyValueException(long row, String column, String type, Class<?> valueType, Throwable cause) {
        super("Row " + row + ", column " + column + " (" + type + "): a " + valueType.getName()
                + " cannot be written there: " + reason(cause), cause);
        this.row = row;
        this.column = column;
    }

    private static String reason(Throwable cause) {
        if (cause instanceof ArithmeticException) {
            return "it is out of the column's range";
        }
        if (cause instanceof ClassCastException) {
            return "it is not of a type the column takes";
        }
        return cause.getMessage();
    }

    /**
     * The row's number, from 1.
     * @return the row
     */
    public long getRow() {
        return this.row;
    }

    /**
     * The column.
     * @return its name
     */
    public String getColumn() {
        return this.column;
    }

}
