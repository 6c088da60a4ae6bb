package io.nexs.postgres.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.RowMapper;

/**
 * The {@code customer} table both benchmarks read: ten columns of the types applications map most (bigint, text,
 * int, numeric, boolean, timestamptz, date, uuid, double precision), filled with deterministic values, all
 * {@code NOT NULL} so every contender maps into primitives too.
 */
public final class CustomerTable {

    /** The ten columns, named explicitly so every contender reads exactly the same result shape. */
    public static final String COLUMNS = "id, name, email, age, balance, active, created_at, birth_date, "
            + "external_id, score";

    /** Every row. */
    public static final String SELECT_ALL = "select " + COLUMNS + " from customer";

    /** One row by primary key. */
    public static final String SELECT_BY_ID = "select " + COLUMNS + " from customer where id = ?";

    /**
     * The hand-written mapper: reads by column index with the getter of each type, the fastest a person can
     * write against PgJDBC, so it is the limit the other contenders are measured against.
     */
    public static final RowMapper<Customer> HANDWRITTEN = (rs, rowNum) -> read(rs);

    private CustomerTable() {
    }

    /**
     * Creates the table and fills it with rows {@code 1..rows}.
     * @param dataSource where
     * @param rows how many rows
     * @throws SQLException when PostgreSQL refuses
     */
    public static void create(DataSource dataSource, int rows) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("drop table if exists customer");
            statement.execute("""
                    create table customer (
                        id bigint primary key,
                        name text not null,
                        email text not null,
                        age int not null,
                        balance numeric(12,2) not null,
                        active boolean not null,
                        created_at timestamptz not null,
                        birth_date date not null,
                        external_id uuid not null,
                        score double precision not null
                    )""");
            // Generated on the server: 100,000 rows take a fraction of a second, and the values vary in length
            // and sign like real data instead of repeating one row.
            try (PreparedStatement insert = connection.prepareStatement("""
                    insert into customer
                    select i,
                           'Customer ' || i || repeat(' x', (i % 7)::int),
                           'customer.' || i || '@example' || (i % 13) || '.com',
                           18 + (i % 70)::int,
                           ((i * 7919) % 20000000 - 5000000)::numeric / 100,
                           i % 3 <> 0,
                           timestamptz '2020-01-01 00:00:00+00' + i * interval '17 minutes 3 seconds',
                           date '1940-01-01' + (i * 37 % 25000)::int,
                           md5(i::text)::uuid,
                           sin(i) * 1000
                    from generate_series(1, ?) as i""")) {
                insert.setInt(1, rows);
                insert.executeUpdate();
            }
            statement.execute("vacuum analyze customer");
        }
    }

    /**
     * Reads the current row by hand.
     * @param rs a result set of {@link #COLUMNS}, on a row
     * @return the row
     * @throws SQLException when reading fails
     */
    public static Customer read(ResultSet rs) throws SQLException {
        return new Customer(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getBigDecimal(5),
                rs.getBoolean(6), rs.getObject(7, OffsetDateTime.class), rs.getObject(8, LocalDate.class),
                rs.getObject(9, UUID.class), rs.getDouble(10));
    }

    /**
     * A HikariCP pool with a fixed number of connections (minimum idle = maximum), so measurements do not pay
     * for opening connections once the pool has filled.
     * @param jdbcUrl the server
     * @param username the user
     * @param password the password, or {@code null} for {@code trust} authentication
     * @param size the number of connections
     * @param name the pool name
     * @return the pool
     */
    public static HikariDataSource pool(String jdbcUrl, String username, @Nullable String password, int size,
            String name) {
        return pool(jdbcUrl, username, password, size, name, Map.of());
    }

    /**
     * A HikariCP pool like {@link #pool(String, String, String, int, String)} whose connections PgJDBC opens with
     * extra connection properties.
     * @param jdbcUrl the server
     * @param username the user
     * @param password the password, or {@code null} for {@code trust} authentication
     * @param size the number of connections
     * @param name the pool name
     * @param driverProperties PgJDBC connection properties, such as {@code prepareThreshold}
     * @return the pool
     */
    public static HikariDataSource pool(String jdbcUrl, String username, @Nullable String password, int size,
            String name, Map<String, String> driverProperties) {
        HikariConfig config = new HikariConfig();
        driverProperties.forEach(config::addDataSourceProperty);
        config.setPoolName(name);
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(username);
        if (password != null && !password.isEmpty()) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        return new HikariDataSource(config);
    }

}
