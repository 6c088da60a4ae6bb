/**
 * Transactions and retries: which errors are transient, the retrier, and the check that settles a commit
 * whose connection was lost.
 */
@NullMarked
package io.nexs.postgres.tx;

import org.jspecify.annotations.NullMarked;
