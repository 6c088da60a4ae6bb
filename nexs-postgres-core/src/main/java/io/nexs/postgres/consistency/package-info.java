/**
 * Read consistency: the levels a read may ask for, the WAL position a scope has written up to
 * ({@link io.nexs.postgres.consistency.ConsistencyToken}) and the thread-bound scope that carries it
 * ({@link io.nexs.postgres.consistency.ConsistencyScope}). The routing reads and advances the scope; nothing here
 * knows of nodes or pools.
 */
@NullMarked
package io.nexs.postgres.consistency;

import org.jspecify.annotations.NullMarked;
