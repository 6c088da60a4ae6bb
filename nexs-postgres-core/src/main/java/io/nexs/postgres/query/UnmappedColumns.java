package io.nexs.postgres.query;

/**
 * What row mapping does with a result column that no component, property or field of the target takes.
 */
public enum UnmappedColumns {

    /** Skip the column, as Spring's {@code BeanPropertyRowMapper} does. */
    IGNORE,

    /** Fail with a {@link RowMappingException} that names the column, so a misspelt alias is caught. */
    FAIL

}
