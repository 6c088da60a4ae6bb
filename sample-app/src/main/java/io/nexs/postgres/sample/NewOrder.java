package io.nexs.postgres.sample;

import java.math.BigDecimal;

/**
 * The body of {@code POST /api/orders}.
 *
 * @param customer who places the order
 * @param total what it costs, zero or more
 */
public record NewOrder(String customer, BigDecimal total) {

}
