/**
 * Throwaway PostgreSQL servers and streaming-replication clusters for tests, started from the
 * server binaries published on Maven Central (no Docker needed).
 *
 * <p>Entry points: {@link io.nexs.postgres.test.PostgresNode}, {@link io.nexs.postgres.test.PostgresCluster},
 * the JUnit extension {@link io.nexs.postgres.test.PostgresExtension} and, for network faults that killing a
 * process cannot show, {@link io.nexs.postgres.test.TcpProxy}.
 */
@NullMarked
package io.nexs.postgres.test;

import org.jspecify.annotations.NullMarked;
