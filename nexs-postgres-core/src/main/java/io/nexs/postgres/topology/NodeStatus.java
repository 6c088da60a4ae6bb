package io.nexs.postgres.topology;

import java.time.Duration;

/**
 * What one round trip to a server found out about it.
 *
 * @param role the role the server reported
 * @param serverVersion the server's {@code server_version} setting, for example {@code 18.1}
 * @param roundTrip how long the check query took, borrowing the connection included
 */
public record NodeStatus(NodeRole role, String serverVersion, Duration roundTrip) {

}
