/**
 * Auto-configuration of the safety monitor: connection leaks, long statements, idle transactions, lock
 * waits and deadlocks of this application.
 */
@NullMarked
package io.nexs.postgres.autoconfigure.safety;

import org.jspecify.annotations.NullMarked;
