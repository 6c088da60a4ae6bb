/**
 * The cluster: {@link io.nexs.postgres.topology.ClusterTopology} (views, maintenance, drain, add and remove),
 * the monitor loop that checks each node, the decisions taken from those checks (which node is primary, which
 * replicas serve reads, split-brain and fencing), one replica selector per load-balancing mode, immutable node
 * snapshots, and the routed {@code DataSource}.
 */
@NullMarked
package io.nexs.postgres.topology;

import org.jspecify.annotations.NullMarked;
