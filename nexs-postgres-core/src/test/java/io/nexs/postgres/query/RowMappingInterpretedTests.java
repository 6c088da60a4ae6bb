package io.nexs.postgres.query;

/**
 * Every mapping of {@link RowMappingTests} through interpreted plans, the fallback for runtimes where plans
 * cannot be compiled into hidden classes.
 */
class RowMappingInterpretedTests extends RowMappingTests {

    @Override
    <T> ObjectRowMapper<T> mapper(Class<T> type) {
        return new ObjectRowMapper<>(type, UnmappedColumns.IGNORE, null, false);
    }

}
