package io.nexs.postgres.sample;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

/**
 * An order as stored and as served.
 *
 * @param id the order number
 * @param customer who placed it
 * @param total what it costs
 * @param createdAt when it was placed
 */
public record Order(long id, String customer, BigDecimal total, OffsetDateTime createdAt) {

}
