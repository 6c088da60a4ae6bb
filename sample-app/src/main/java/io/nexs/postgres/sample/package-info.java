/**
 * A sample application: orders over a routed PostgreSQL cluster, started on an embedded cluster.
 */
@NullMarked
package io.nexs.postgres.sample;

import org.jspecify.annotations.NullMarked;
