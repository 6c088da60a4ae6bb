package io.nexs.postgres.query;

import java.lang.ref.WeakReference;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.RowMapper;

/**
 * Maps rows to instances of one class. Works as a Spring {@link RowMapper} with {@code JdbcTemplate} and
 * {@code JdbcClient} too. Thread-safe.
 *
 * <p>The class is inspected once, when the mapper is made. For each shape of result (its column labels and
 * types) a plan is built on first sight and cached: which column feeds which constructor argument or setter,
 * through which converter. Mapping a row then only reads the columns by index, converts and constructs.
 * {@link #readAll} and {@link #reader} resolve the plan once per result set; {@link #mapRow}, called by Spring
 * once per row, remembers the result set it resolved last.
 *
 * @param <T> the target type
 */
public final class ObjectRowMapper<T> implements RowMapper<T> {

    /** Bounds the plans of one class, should an application build labels dynamically. */
    private static final int MAX_PLANS = 256;

    private final TargetModel model;

    private final UnmappedColumns unmappedColumns;

    private final @Nullable JsonCodec json;

    private final boolean compile;

    private final ConcurrentMap<ResultShape, MappingPlan> plans = new ConcurrentHashMap<>();

    /**
     * The metadata of the result set {@link #mapRow} saw last, with its plan. PgJDBC returns the same metadata
     * instance for every call on one result set, so the rows after the first skip resolution. Weak, so that a
     * mapper kept for the application's life does not keep a closed connection reachable.
     */
    private volatile @Nullable LastPlan last;

    /**
     * Creates the mapper of a class; {@link RowMappers#forType} makes and keeps them.
     * @param type the target class
     * @param unmappedColumns what to do with a column no property takes
     * @param json the JSON codec, or {@code null}
     * @throws RowMappingException when the class cannot be a target
     */
    ObjectRowMapper(Class<T> type, UnmappedColumns unmappedColumns, @Nullable JsonCodec json) {
        this(type, unmappedColumns, json, true);
    }

    /**
     * Creates the mapper of a class, choosing how its plans run.
     * @param type the target class
     * @param unmappedColumns what to do with a column no property takes
     * @param json the JSON codec, or {@code null}
     * @param compile {@code true} to compile plans (the default), {@code false} to interpret them, which tests
     * use to cover the fallback
     * @throws RowMappingException when the class cannot be a target
     */
    ObjectRowMapper(Class<T> type, UnmappedColumns unmappedColumns, @Nullable JsonCodec json, boolean compile) {
        this.model = TargetModel.of(type);
        this.unmappedColumns = unmappedColumns;
        this.json = json;
        this.compile = compile;
    }

    /**
     * Maps the current row; the Spring {@link RowMapper} entry point.
     * @param rs the result set, on a row
     * @param rowNum the row's number, unused
     * @return the mapped row
     * @throws SQLException when reading fails
     * @throws RowMappingException when the row cannot be mapped to the target class
     */
    @Override
    @SuppressWarnings("unchecked")
    public T mapRow(ResultSet rs, int rowNum) throws SQLException {
        ResultSetMetaData metaData = rs.getMetaData();
        LastPlan remembered = this.last;
        MappingPlan plan;
        if (remembered != null && remembered.get() == metaData) {
            plan = remembered.plan;
        }
        else {
            plan = plan(metaData);
            this.last = new LastPlan(metaData, plan);
        }
        return (T) plan.read(rs);
    }

    /**
     * Reads every remaining row of a result set, resolving the plan for its shape once.
     * @param rs the result set, positioned before its first row
     * @return the mapped rows
     * @throws SQLException when reading fails
     * @throws RowMappingException when a row cannot be mapped to the target class
     */
    @SuppressWarnings("unchecked")
    public List<T> readAll(ResultSet rs) throws SQLException {
        MappingPlan plan = plan(rs.getMetaData());
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
            rows.add((T) plan.read(rs));
        }
        return rows;
    }

    /**
     * The reader of one result set: the plan for its shape, resolved once, then applied to each row.
     * @param rs the result set
     * @return a reader of that result set's rows
     * @throws SQLException when the result set's metadata cannot be read
     * @throws RowMappingException when the result's columns cannot be mapped to the target class
     */
    @SuppressWarnings("unchecked")
    public RowReader<T> reader(ResultSet rs) throws SQLException {
        MappingPlan plan = plan(rs.getMetaData());
        return (row) -> (T) plan.read(row);
    }

    private MappingPlan plan(ResultSetMetaData metaData) throws SQLException {
        ResultShape shape = ResultShape.of(metaData);
        MappingPlan plan = this.plans.get(shape);
        if (plan == null) {
            plan = MappingPlan.build(this.model, shape, this.unmappedColumns, this.json, this.compile);
            if (this.plans.size() >= MAX_PLANS) {
                this.plans.clear();
            }
            MappingPlan raced = this.plans.putIfAbsent(shape, plan);
            if (raced != null) {
                plan = raced;
            }
        }
        return plan;
    }

    @Override
    public String toString() {
        return "ObjectRowMapper[" + this.model.type().getName() + "]";
    }

    /**
     * Reads the current row of the result set a reader was made for.
     *
     * @param <T> the target type
     */
    @FunctionalInterface
    public interface RowReader<T> {

        /**
         * Maps the current row.
         * @param rs the result set the reader was made for, on a row
         * @return the mapped row
         * @throws SQLException when reading fails
         */
        T read(ResultSet rs) throws SQLException;

    }

    /**
     * A result set's metadata, weakly held, and the plan of its shape.
     */
    private static final class LastPlan extends WeakReference<ResultSetMetaData> {

        private final MappingPlan plan;

        LastPlan(ResultSetMetaData metaData, MappingPlan plan) {
            super(metaData);
            this.plan = plan;
        }

    }

}
