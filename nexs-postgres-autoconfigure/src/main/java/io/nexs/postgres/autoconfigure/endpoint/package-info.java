/**
 * The {@code nexspostgres} Actuator endpoint: nodes, roles, pools and maintenance operations.
 */
@NullMarked
package io.nexs.postgres.autoconfigure.endpoint;

import org.jspecify.annotations.NullMarked;
