package io.nexs.postgres.pool;

/**
 * A snapshot of a pool's connection counts.
 *
 * @param active connections borrowed right now
 * @param idle connections open and waiting in the pool
 * @param pending callers waiting for a connection
 * @param max the most connections the pool may open
 */
public record PoolStats(int active, int idle, int pending, int max) {

}
