/**
 * Hooks called around every database call: the {@link io.nexs.postgres.hook.PostgresHook} SPI, the
 * {@link io.nexs.postgres.hook.HookRegistry} that adds and removes them at run time, the context each call
 * carries, and the hooks that ship with the library.
 */
@NullMarked
package io.nexs.postgres.hook;

import org.jspecify.annotations.NullMarked;
