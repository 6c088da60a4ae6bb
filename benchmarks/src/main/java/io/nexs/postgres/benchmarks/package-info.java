/**
 * Benchmarks that measure nexs-postgres against hand-written JDBC and Spring's own row mappers, each on a
 * PostgreSQL server of its own. Entry point: {@link io.nexs.postgres.benchmarks.Benchmarks}.
 */
@NullMarked
package io.nexs.postgres.benchmarks;

import org.jspecify.annotations.NullMarked;
