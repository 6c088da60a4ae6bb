package io.nexs.postgres.copy;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/**
 * A forward-only, read-only {@link ResultSet} whose every method fails with
 * {@link SQLFeatureNotSupportedException} until a subclass implements it: the base of result sets made from
 * something other than a query, such as the rows of a {@code COPY} out, which implement only the getters row
 * mapping uses.
 */
abstract class ReadOnlyResultSet implements ResultSet {

    /**
     * The failure of a method this result set does not implement.
     * @return the exception to throw
     */
    protected SQLException unsupported() {
        StackTraceElement caller = new Throwable().getStackTrace()[1];
        return new SQLFeatureNotSupportedException("A " + getClass().getSimpleName() + " cannot " + caller.getMethodName()
                + ": it is a forward-only, read-only set of rows");
    }

    @Override
    public boolean next() throws SQLException {
        throw unsupported();
    }

    @Override
    public void close() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean wasNull() throws SQLException {
        throw unsupported();
    }

    @Override
    public String getString(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean getBoolean(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public byte getByte(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public short getShort(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public int getInt(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public long getLong(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public float getFloat(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public double getDouble(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    @Deprecated
    public BigDecimal getBigDecimal(int a0, int a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public byte[] getBytes(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Date getDate(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Time getTime(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Timestamp getTimestamp(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public InputStream getAsciiStream(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    @Deprecated
    public InputStream getUnicodeStream(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public InputStream getBinaryStream(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public String getString(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean getBoolean(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public byte getByte(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public short getShort(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public int getInt(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public long getLong(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public float getFloat(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public double getDouble(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    @Deprecated
    public BigDecimal getBigDecimal(String a0, int a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public byte[] getBytes(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Date getDate(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Time getTime(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Timestamp getTimestamp(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public InputStream getAsciiStream(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    @Deprecated
    public InputStream getUnicodeStream(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public InputStream getBinaryStream(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return null;
    }

    @Override
    public void clearWarnings() throws SQLException {
        // no warnings to clear
    }

    @Override
    public String getCursorName() throws SQLException {
        throw unsupported();
    }

    @Override
    public ResultSetMetaData getMetaData() throws SQLException {
        throw unsupported();
    }

    @Override
    public Object getObject(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Object getObject(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public int findColumn(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Reader getCharacterStream(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Reader getCharacterStream(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public BigDecimal getBigDecimal(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public BigDecimal getBigDecimal(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean isBeforeFirst() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean isAfterLast() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean isFirst() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean isLast() throws SQLException {
        throw unsupported();
    }

    @Override
    public void beforeFirst() throws SQLException {
        throw unsupported();
    }

    @Override
    public void afterLast() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean first() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean last() throws SQLException {
        throw unsupported();
    }

    @Override
    public int getRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean absolute(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean relative(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean previous() throws SQLException {
        throw unsupported();
    }

    @Override
    public void setFetchDirection(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public int getFetchDirection() throws SQLException {
        return FETCH_FORWARD;
    }

    @Override
    public void setFetchSize(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public int getFetchSize() throws SQLException {
        throw unsupported();
    }

    @Override
    public int getType() throws SQLException {
        return TYPE_FORWARD_ONLY;
    }

    @Override
    public int getConcurrency() throws SQLException {
        return CONCUR_READ_ONLY;
    }

    @Override
    public boolean rowUpdated() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean rowInserted() throws SQLException {
        throw unsupported();
    }

    @Override
    public boolean rowDeleted() throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNull(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBoolean(int a0, boolean a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateByte(int a0, byte a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateShort(int a0, short a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateInt(int a0, int a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateLong(int a0, long a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateFloat(int a0, float a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateDouble(int a0, double a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBigDecimal(int a0, BigDecimal a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateString(int a0, String a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBytes(int a0, byte[] a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateDate(int a0, Date a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateTime(int a0, Time a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateTimestamp(int a0, Timestamp a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateAsciiStream(int a0, InputStream a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBinaryStream(int a0, InputStream a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateCharacterStream(int a0, Reader a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateObject(int a0, Object a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateObject(int a0, Object a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNull(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBoolean(String a0, boolean a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateByte(String a0, byte a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateShort(String a0, short a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateInt(String a0, int a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateLong(String a0, long a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateFloat(String a0, float a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateDouble(String a0, double a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBigDecimal(String a0, BigDecimal a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateString(String a0, String a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBytes(String a0, byte[] a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateDate(String a0, Date a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateTime(String a0, Time a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateTimestamp(String a0, Timestamp a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateAsciiStream(String a0, InputStream a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBinaryStream(String a0, InputStream a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateCharacterStream(String a0, Reader a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateObject(String a0, Object a1, int a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateObject(String a0, Object a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void insertRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public void deleteRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public void refreshRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public void cancelRowUpdates() throws SQLException {
        throw unsupported();
    }

    @Override
    public void moveToInsertRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public void moveToCurrentRow() throws SQLException {
        throw unsupported();
    }

    @Override
    public Statement getStatement() throws SQLException {
        return null;
    }

    @Override
    public Object getObject(int a0, Map<String, Class<?>> a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Ref getRef(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Blob getBlob(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Clob getClob(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Array getArray(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Object getObject(String a0, Map<String, Class<?>> a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Ref getRef(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Blob getBlob(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Clob getClob(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Array getArray(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Date getDate(int a0, Calendar a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Date getDate(String a0, Calendar a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Time getTime(int a0, Calendar a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Time getTime(String a0, Calendar a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Timestamp getTimestamp(int a0, Calendar a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public Timestamp getTimestamp(String a0, Calendar a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public URL getURL(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public URL getURL(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateRef(int a0, Ref a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateRef(String a0, Ref a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBlob(int a0, Blob a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBlob(String a0, Blob a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateClob(int a0, Clob a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateClob(String a0, Clob a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateArray(int a0, Array a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateArray(String a0, Array a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public RowId getRowId(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public RowId getRowId(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateRowId(int a0, RowId a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateRowId(String a0, RowId a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public int getHoldability() throws SQLException {
        return CLOSE_CURSORS_AT_COMMIT;
    }

    @Override
    public boolean isClosed() throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNString(int a0, String a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNString(String a0, String a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNClob(int a0, NClob a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNClob(String a0, NClob a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public NClob getNClob(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public NClob getNClob(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public SQLXML getSQLXML(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public SQLXML getSQLXML(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateSQLXML(int a0, SQLXML a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateSQLXML(String a0, SQLXML a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public String getNString(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public String getNString(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Reader getNCharacterStream(int a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public Reader getNCharacterStream(String a0) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNCharacterStream(int a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNCharacterStream(String a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateAsciiStream(int a0, InputStream a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBinaryStream(int a0, InputStream a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateCharacterStream(int a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateAsciiStream(String a0, InputStream a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBinaryStream(String a0, InputStream a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateCharacterStream(String a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBlob(int a0, InputStream a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBlob(String a0, InputStream a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateClob(int a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateClob(String a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNClob(int a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNClob(String a0, Reader a1, long a2) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNCharacterStream(int a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNCharacterStream(String a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateAsciiStream(int a0, InputStream a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBinaryStream(int a0, InputStream a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateCharacterStream(int a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateAsciiStream(String a0, InputStream a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBinaryStream(String a0, InputStream a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateCharacterStream(String a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBlob(int a0, InputStream a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateBlob(String a0, InputStream a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateClob(int a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateClob(String a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNClob(int a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public void updateNClob(String a0, Reader a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public <T> T getObject(int a0, Class<T> a1) throws SQLException {
        throw unsupported();
    }

    @Override
    public <T> T getObject(String a0, Class<T> a1) throws SQLException {
        throw unsupported();
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
