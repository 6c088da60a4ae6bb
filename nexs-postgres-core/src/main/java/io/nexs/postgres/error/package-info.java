/**
 * What failed, in one place: {@link io.nexs.postgres.error.PostgresException}, the base of the library's own
 * exceptions, and the SQLSTATE classes that decide whether a connection was lost and how a failure is translated.
 * Depends on nothing else of the library, so every other package may use it.
 */
@NullMarked
package io.nexs.postgres.error;

import org.jspecify.annotations.NullMarked;
