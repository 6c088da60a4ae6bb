/**
 * One HikariCP pool per PostgreSQL node, with the connection settings and statistics of each.
 */
@NullMarked
package io.nexs.postgres.pool;

import org.jspecify.annotations.NullMarked;
