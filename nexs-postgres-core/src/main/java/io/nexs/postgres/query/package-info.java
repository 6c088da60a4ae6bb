/**
 * Row mapping: mapping plans compiled once per result shape and target type, the converters they use, and
 * JSON columns.
 */
@NullMarked
package io.nexs.postgres.query;

import org.jspecify.annotations.NullMarked;
