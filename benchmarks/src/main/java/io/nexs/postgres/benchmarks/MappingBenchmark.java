package io.nexs.postgres.benchmarks;

import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.query.ObjectRowMapper;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.BeanPropertyRowMapper;
import org.springframework.jdbc.core.DataClassRowMapper;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The operations of the {@code mapping} benchmark: one operation reads all {@value Mapping#ROWS} rows of
 * {@link CustomerTable} through one contender. Every contender of a wire format shares that format's HikariCP pool
 * on the same server, and every mapper is created once in {@link #open(DataSource)}, as an application would keep
 * it, so only the per-row work differs. Run by {@link Mapping}.
 */
final class MappingBenchmark {

    /**
     * Results in text: the pool's connections have PgJDBC's {@code prepareThreshold=0}, so the driver never
     * prepares a statement on the server; it sends every query as an unnamed statement, which it reads in text.
     * That is what {@code JdbcTemplate.query(sql, mapper)} without arguments gets: a plain {@code Statement},
     * which PgJDBC never prepares on the server either.
     */
    static final String TEXT = "text";

    /**
     * Results in binary: PgJDBC's default {@code prepareThreshold=5}, so from the fifth execution of the query on
     * a connection the driver uses a server-prepared statement and reads numbers, booleans, dates, timestamps and
     * uuids in binary (text columns stay text). What a {@code PreparedStatement} gets in a long-running application.
     */
    static final String BINARY = "binary";

    /** PgJDBC's {@code prepareThreshold}, the number of executions after which it prepares on the server. */
    static final int PREPARE_THRESHOLD = 5;

    /**
     * Passed to {@code JdbcTemplate.query(sql, mapper, args)} so it runs a {@code PreparedStatement}, as
     * {@code PostgresTemplate} does: every contender then reads through the same kind of statement, and the pool
     * it reads from alone decides whether the results come in text or in binary.
     */
    private static final Object[] NO_ARGS = {};

    private @Nullable JdbcTemplate jdbcTemplate;

    private @Nullable PostgresTemplate postgres;

    private @Nullable DataClassRowMapper<Customer> dataClassRowMapper;

    private @Nullable BeanPropertyRowMapper<CustomerBean> beanPropertyRowMapper;

    private @Nullable ObjectRowMapper<Customer> objectRowMapper;

    /**
     * A pool whose connections read results in the given wire format.
     * @param url the server
     * @param username the user
     * @param password the password, or {@code null} for {@code trust} authentication
     * @param format {@value #TEXT} or {@value #BINARY}
     * @param size the number of connections
     * @return the pool
     */
    static HikariDataSource pool(String url, String username, @Nullable String password, String format, int size) {
        String prepareThreshold = switch (format) {
            case TEXT -> "0";
            // The driver's default, spelled out so a URL parameter cannot change it.
            case BINARY -> Integer.toString(PREPARE_THRESHOLD);
            default -> throw new IllegalArgumentException("unknown format: " + format);
        };
        return CustomerTable.pool(url, username, password, size, "mapping-" + format,
                Map.of("prepareThreshold", prepareThreshold));
    }

    /**
     * Creates the templates and mappers on a data source of the caller, which closes it.
     * @param dataSource where to read
     */
    void open(DataSource dataSource) {
        this.jdbcTemplate = new JdbcTemplate(dataSource);
        this.postgres = new PostgresTemplate(dataSource);
        this.dataClassRowMapper = new DataClassRowMapper<>(Customer.class);
        this.beanPropertyRowMapper = new BeanPropertyRowMapper<>(CustomerBean.class);
        this.objectRowMapper = new RowMappers(UnmappedColumns.IGNORE, null).forType(Customer.class);
    }

    /**
     * The limit: a hand-written {@code RowMapper} into the record, with {@code JdbcTemplate}.
     * @return the rows
     */
    List<Customer> handwritten() {
        return jdbc().query(CustomerTable.SELECT_ALL, CustomerTable.HANDWRITTEN, NO_ARGS);
    }

    /**
     * nexs-postgres into the record: {@code PostgresTemplate.queryAll(Customer.class, sql)}.
     * @return the rows
     */
    List<Customer> oursRecord() {
        return ours().queryAll(Customer.class, CustomerTable.SELECT_ALL);
    }

    /**
     * nexs-postgres into the JavaBean.
     * @return the rows
     */
    List<CustomerBean> oursBean() {
        return ours().queryAll(CustomerBean.class, CustomerTable.SELECT_ALL);
    }

    /**
     * nexs-postgres' {@code ObjectRowMapper} used as a plain Spring {@code RowMapper} with {@code JdbcTemplate}.
     * @return the rows
     */
    List<Customer> oursRowMapper() {
        return jdbc().query(CustomerTable.SELECT_ALL, required(this.objectRowMapper), NO_ARGS);
    }

    /**
     * Spring's {@code DataClassRowMapper} into the record.
     * @return the rows
     */
    List<Customer> dataClassRowMapper() {
        return jdbc().query(CustomerTable.SELECT_ALL, required(this.dataClassRowMapper), NO_ARGS);
    }

    /**
     * Spring's {@code BeanPropertyRowMapper} into the JavaBean.
     * @return the rows
     */
    List<CustomerBean> beanPropertyRowMapper() {
        return jdbc().query(CustomerTable.SELECT_ALL, required(this.beanPropertyRowMapper), NO_ARGS);
    }

    private JdbcTemplate jdbc() {
        return required(this.jdbcTemplate);
    }

    private PostgresTemplate ours() {
        return required(this.postgres);
    }

    private static <T> T required(@Nullable T value) {
        if (value == null) {
            throw new IllegalStateException("not open");
        }
        return value;
    }

}
