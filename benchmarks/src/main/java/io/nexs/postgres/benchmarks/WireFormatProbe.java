package io.nexs.postgres.benchmarks;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.postgresql.PGResultSetMetaData;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * A data source that notes in which wire format PgJDBC received each column of the last result set read through
 * it ({@link PGResultSetMetaData#getFormat(int)}), so the {@code mapping} benchmark can check, before timing, that a
 * pool's {@code prepareThreshold} gives every contender the format it is meant to. Connections and prepared
 * statements are wrapped in plain JDK proxies; result sets are not, so the mappers read the driver's own.
 */
final class WireFormatProbe extends DelegatingDataSource {

    /** What the last result set looked like on the wire. */
    record Formats(int columns, List<String> binaryColumns) {

        @Override
        public String toString() {
            return binaryColumns().isEmpty() ? "all " + columns() + " columns in text"
                    : binaryColumns().size() + " of " + columns() + " columns in binary " + binaryColumns();
        }

    }

    private volatile @Nullable Formats last;

    WireFormatProbe(DataSource target) {
        super(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return proxy(Connection.class, super.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return proxy(Connection.class, super.getConnection(username, password));
    }

    /**
     * Forgets the last result set, and returns what it looked like.
     * @return the formats of the last result set read since the previous call
     */
    Formats take() {
        Formats formats = this.last;
        if (formats == null) {
            throw new IllegalStateException("no result set was read through the probe");
        }
        this.last = null;
        return formats;
    }

    private <T> T proxy(Class<T> type, T target) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result;
            try {
                result = method.invoke(target, args);
            }
            catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
            if (result instanceof PreparedStatement statement && method.getName().equals("prepareStatement")) {
                return proxy(PreparedStatement.class, statement);
            }
            if (result instanceof ResultSet rs
                    && (method.getName().equals("executeQuery") || method.getName().equals("getResultSet"))) {
                note(rs);
            }
            return result;
        };
        return type.cast(Proxy.newProxyInstance(WireFormatProbe.class.getClassLoader(), new Class<?>[] { type },
                handler));
    }

    private void note(ResultSet rs) throws SQLException {
        ResultSetMetaData metaData = rs.getMetaData();
        PGResultSetMetaData pg = metaData.unwrap(PGResultSetMetaData.class);
        List<String> binary = new ArrayList<>();
        for (int column = 1; column <= metaData.getColumnCount(); column++) {
            if (pg.getFormat(column) == 1) {
                binary.add(metaData.getColumnName(column));
            }
        }
        this.last = new Formats(metaData.getColumnCount(), List.copyOf(binary));
    }

}
