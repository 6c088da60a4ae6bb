/**
 * LISTEN/NOTIFY: a listener container that holds one connection to the primary, follows it across
 * failovers and hands notifications to listeners.
 */
@NullMarked
package io.nexs.postgres.notify;

import org.jspecify.annotations.NullMarked;
