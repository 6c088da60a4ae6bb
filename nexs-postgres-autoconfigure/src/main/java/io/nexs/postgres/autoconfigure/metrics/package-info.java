/**
 * Micrometer meters and observations of nexs-postgres, auto-configured when Micrometer is present.
 */
@NullMarked
package io.nexs.postgres.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
