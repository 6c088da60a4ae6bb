/**
 * Metrics, observations and safety checks. Micrometer is optional: only the classes that name it need it.
 */
@NullMarked
package io.nexs.postgres.observe;

import org.jspecify.annotations.NullMarked;
