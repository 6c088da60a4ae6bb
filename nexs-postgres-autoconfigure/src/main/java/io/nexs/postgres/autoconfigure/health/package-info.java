/**
 * Role-aware health of the cluster and its nodes for {@code /actuator/health}.
 */
@NullMarked
package io.nexs.postgres.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
