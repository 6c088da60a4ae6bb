package io.nexs.postgres.pool;

import java.util.Objects;

/**
 * Where a PostgreSQL server listens. Its {@link #toString()} form, {@code host:port}, names the node in logs,
 * health details and metric tags.
 *
 * @param host the host name or IP address
 * @param port the TCP port
 */
public record NodeAddress(String host, int port) {

    /**
     * Validates the address.
     * @param host the host name or IP address
     * @param port the TCP port, 1 to 65535
     */
    public NodeAddress {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

}
