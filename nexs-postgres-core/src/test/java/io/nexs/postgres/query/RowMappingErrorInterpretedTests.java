package io.nexs.postgres.query;

/**
 * Every failure of {@link RowMappingErrorTests} through interpreted plans, with the same messages as compiled
 * plans.
 */
class RowMappingErrorInterpretedTests extends RowMappingErrorTests {

    @Override
    <T> ObjectRowMapper<T> mapper(RowMappers mappers, Class<T> type) {
        UnmappedColumns unmappedColumns = (mappers == this.strict) ? UnmappedColumns.FAIL : UnmappedColumns.IGNORE;
        return new ObjectRowMapper<>(type, unmappedColumns, null, false);
    }

}
