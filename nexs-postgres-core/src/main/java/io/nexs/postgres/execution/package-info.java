/**
 * The one path every operation takes, from the public templates to a pooled connection and back: node choice,
 * borrowing and releasing, hooks, retry, SQLSTATE translation and observation. Internal: the types are public so
 * that the other packages can reach them, not for applications.
 */
@NullMarked
package io.nexs.postgres.execution;

import org.jspecify.annotations.NullMarked;
