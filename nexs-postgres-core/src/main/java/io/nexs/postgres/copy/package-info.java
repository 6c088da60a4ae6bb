/**
 * Bulk loading and unloading with PostgreSQL's {@code COPY}: the binary encoder and decoder, table and
 * column identifiers, options, progress and results.
 */
@NullMarked
package io.nexs.postgres.copy;

import org.jspecify.annotations.NullMarked;
