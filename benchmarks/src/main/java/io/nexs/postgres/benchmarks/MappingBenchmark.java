package io.nexs.postgres.benchmarks;

import java.util.List;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.query.ObjectRowMapper;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.jdbc.core.BeanPropertyRowMapper;
import org.springframework.jdbc.core.DataClassRowMapper;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The JMH side of the {@code mapping} benchmark: one operation reads all {@value Mapping#ROWS} rows of
 * {@link CustomerTable} through one contender. Every contender shares the same HikariCP pool on the same server,
 * and every mapper is created once in {@link #open()}, as an application would keep it, so only the per-row work
 * differs. Run by {@link Mapping}, which passes the server in system properties to the forked JVM.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MappingBenchmark {

    /** System property with the server's JDBC URL. */
    static final String JDBC_URL = "nexs.benchmarks.jdbc-url";

    /** System property with the user name. */
    static final String USERNAME = "nexs.benchmarks.username";

    /** System property with the password; absent for {@code trust} authentication. */
    static final String PASSWORD = "nexs.benchmarks.password";

    /**
     * Passed to {@code JdbcTemplate.query(sql, mapper, args)} so it runs a {@code PreparedStatement}, as
     * {@code PostgresTemplate} does: without arguments {@code JdbcTemplate} would use a plain {@code Statement}, which
     * PgJDBC sends with the simple query protocol and reads as text, while a prepared statement is server-prepared
     * after five executions and reads numbers, dates and uuids in binary. The benchmark compares mappers, so every
     * contender gets the same protocol.
     */
    private static final Object[] NO_ARGS = {};

    private @Nullable HikariDataSource dataSource;

    private @Nullable JdbcTemplate jdbcTemplate;

    private @Nullable PostgresTemplate postgres;

    private @Nullable DataClassRowMapper<Customer> dataClassRowMapper;

    private @Nullable BeanPropertyRowMapper<CustomerBean> beanPropertyRowMapper;

    private @Nullable ObjectRowMapper<Customer> objectRowMapper;

    /** Opens the pool and creates the templates and mappers, from the system properties JMH's fork got. */
    @Setup(Level.Trial)
    public void open() {
        String url = System.getProperty(JDBC_URL);
        if (url == null) {
            throw new IllegalStateException("system property " + JDBC_URL + " is not set: run through "
                    + Benchmarks.class.getName());
        }
        open(url, System.getProperty(USERNAME, "postgres"), System.getProperty(PASSWORD));
    }

    void open(String url, String username, @Nullable String password) {
        // Two connections for one thread: the benchmark never waits for the pool.
        this.dataSource = CustomerTable.pool(url, username, password, 2, "mapping");
        this.jdbcTemplate = new JdbcTemplate(this.dataSource);
        this.postgres = new PostgresTemplate(this.dataSource);
        this.dataClassRowMapper = new DataClassRowMapper<>(Customer.class);
        this.beanPropertyRowMapper = new BeanPropertyRowMapper<>(CustomerBean.class);
        this.objectRowMapper = new RowMappers(UnmappedColumns.IGNORE, null).forType(Customer.class);
    }

    /** Closes the pool. */
    @TearDown(Level.Trial)
    public void close() {
        if (this.dataSource != null) {
            this.dataSource.close();
        }
    }

    /**
     * The limit: a hand-written {@code RowMapper} into the record, with {@code JdbcTemplate}.
     * @return the rows
     */
    @Benchmark
    public List<Customer> handwritten() {
        return jdbc().query(CustomerTable.SELECT_ALL, CustomerTable.HANDWRITTEN, NO_ARGS);
    }

    /**
     * nexs-postgres into the record: {@code PostgresTemplate.queryAll(Customer.class, sql)}.
     * @return the rows
     */
    @Benchmark
    public List<Customer> oursRecord() {
        return ours().queryAll(Customer.class, CustomerTable.SELECT_ALL);
    }

    /**
     * nexs-postgres into the JavaBean.
     * @return the rows
     */
    @Benchmark
    public List<CustomerBean> oursBean() {
        return ours().queryAll(CustomerBean.class, CustomerTable.SELECT_ALL);
    }

    /**
     * nexs-postgres' {@code ObjectRowMapper} used as a plain Spring {@code RowMapper} with {@code JdbcTemplate}.
     * @return the rows
     */
    @Benchmark
    public List<Customer> oursRowMapper() {
        return jdbc().query(CustomerTable.SELECT_ALL, required(this.objectRowMapper), NO_ARGS);
    }

    /**
     * Spring's {@code DataClassRowMapper} into the record.
     * @return the rows
     */
    @Benchmark
    public List<Customer> dataClassRowMapper() {
        return jdbc().query(CustomerTable.SELECT_ALL, required(this.dataClassRowMapper), NO_ARGS);
    }

    /**
     * Spring's {@code BeanPropertyRowMapper} into the JavaBean.
     * @return the rows
     */
    @Benchmark
    public List<CustomerBean> beanPropertyRowMapper() {
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
