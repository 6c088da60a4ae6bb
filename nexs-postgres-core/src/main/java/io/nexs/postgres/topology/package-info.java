/**
 * The cluster: which node is the primary, which replicas may serve reads, failover, fencing and
 * maintenance, and the routed {@code DataSource}.
 */
@NullMarked
package io.nexs.postgres.topology;

import org.jspecify.annotations.NullMarked;
