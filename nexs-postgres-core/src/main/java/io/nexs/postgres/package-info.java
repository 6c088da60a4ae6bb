/**
 * The everyday API of nexs-postgres: {@link io.nexs.postgres.PostgresOperations}, implemented by
 * {@link io.nexs.postgres.PostgresTemplate} over one {@code DataSource} and by the cluster-aware
 * {@link io.nexs.postgres.PostgresProvider}. The classes here are thin: the work runs in
 * {@code io.nexs.postgres.execution}.
 */
@NullMarked
package io.nexs.postgres;

import org.jspecify.annotations.NullMarked;
