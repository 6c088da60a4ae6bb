package io.nexs.postgres.copy;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.nexs.postgres.execution.OperationRunner;
import io.nexs.postgres.query.ObjectRowMapper;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.RowMapper;

/**
 * {@link CopyOperations} over an execution path. Internal: the templates create one each and hand it out.
 */
public final class DefaultCopyOperations implements CopyOperations {

    private final AtomicLoad loads;

    private final CopyOut reads;

    private final OperationRunner runner;

    private final Supplier<CopyOptions> defaults;

    /**
     * Creates the COPY operations of an execution path.
     * @param runner the path every COPY takes
     * @param defaults the options of a load of rows that is given none, read at each load
     */
    public DefaultCopyOperations(OperationRunner runner, Supplier<CopyOptions> defaults) {
        this.runner = Objects.requireNonNull(runner, "runner");
        CopyExecution execution = new CopyExecution(this.runner);
        this.loads = new AtomicLoad(execution);
        this.reads = new CopyOut(execution);
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    @Override
    public CopyInSpec into(String table) {
        return new InSpec(Objects.requireNonNull(table, "table"));
    }

    @Override
    public CopyOutSpec out(String query) {
        return new OutSpec(Objects.requireNonNull(query, "query"));
    }

    private final class InSpec implements CopyInSpec {

        private final String table;

        private List<String> columns = List.of();

        private @Nullable CopyOptions options;

        InSpec(String table) {
            this.table = table;
        }

        @Override
        public CopyInSpec columns(String... columns) {
            return columns(List.of(columns));
        }

        @Override
        public CopyInSpec columns(List<String> columns) {
            this.columns = List.copyOf(columns);
            return this;
        }

        @Override
        public CopyInSpec options(CopyOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        private CopyOptions rowOptions() {
            CopyOptions given = this.options;
            return (given != null) ? given : DefaultCopyOperations.this.defaults.get();
        }

        private CopyOptions streamOptions() {
            CopyOptions given = this.options;
            return (given != null) ? given : CopyOptions.defaults();
        }

        @Override
        public CopyResult rows(Iterable<?> rows) {
            Objects.requireNonNull(rows, "rows");
            long size = (rows instanceof Collection<?> collection) ? collection.size() : -1;
            return DefaultCopyOperations.this.loads.copyIn(this.table, this.columns, rows.iterator(), rowOptions(),
                    size, rows instanceof Collection<?>);
        }

        @Override
        public CopyResult rows(Stream<?> rows) {
            Objects.requireNonNull(rows, "rows");
            return DefaultCopyOperations.this.loads.copyIn(this.table, this.columns, rows.iterator(), rowOptions(),
                    -1, false);
        }

        @Override
        public CopyResult rows(Iterator<?> rows) {
            Objects.requireNonNull(rows, "rows");
            return DefaultCopyOperations.this.loads.copyIn(this.table, this.columns, rows, rowOptions(), -1, false);
        }

        @Override
        public CopyResult from(Reader input, CopyFormat format) {
            Objects.requireNonNull(input, "input");
            return DefaultCopyOperations.this.loads.copyIn(this.table, this.columns, input, null, format,
                    streamOptions());
        }

        @Override
        public CopyResult from(InputStream input, CopyFormat format) {
            Objects.requireNonNull(input, "input");
            return DefaultCopyOperations.this.loads.copyIn(this.table, this.columns, null, input, format,
                    streamOptions());
        }

    }

    private final class OutSpec implements CopyOutSpec {

        private final String query;

        OutSpec(String query) {
            this.query = query;
        }

        @Override
        public long to(OutputStream output, CopyFormat format) {
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(format, "format");
            return DefaultCopyOperations.this.reads.copyOut(this.query, output, format);
        }

        @Override
        public <T> Stream<T> rows(Class<T> type) {
            Objects.requireNonNull(type, "type");
            ObjectRowMapper<T> mapper = DefaultCopyOperations.this.runner.rowMappers().forType(type);
            return DefaultCopyOperations.this.reads.copyOut(this.query, mapper::reader);
        }

        @Override
        public <T> Stream<T> rows(RowMapper<T> mapper) {
            Objects.requireNonNull(mapper, "mapper");
            return DefaultCopyOperations.this.reads.copyOut(this.query, (rs) -> {
                int[] number = { 0 };
                return (row) -> mapper.mapRow(row, number[0]++);
            });
        }

    }

}
