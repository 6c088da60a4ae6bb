package io.nexs.postgres.sample;

import java.math.BigDecimal;
import java.net.URI;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The orders API: place an order, read one, list the latest.
 */
@RestController
@RequestMapping("/api/orders")
class OrderController {

    private static final int MAX_LIMIT = 500;

    private static final BigDecimal MAX_TOTAL = new BigDecimal("9999999999.99");

    private final OrderRepository orders;

    OrderController(OrderRepository orders) {
        this.orders = orders;
    }

    @PostMapping
    ResponseEntity<Order> place(@RequestBody NewOrder order) {
        if (order.customer() == null || order.customer().isBlank() || order.customer().length() > 200) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "customer must be 1 to 200 characters");
        }
        if (order.total() == null || order.total().signum() < 0 || order.total().compareTo(MAX_TOTAL) > 0) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "total must be between 0 and " + MAX_TOTAL);
        }
        Order placed = this.orders.insert(order);
        return ResponseEntity.created(URI.create("/api/orders/" + placed.id())).body(placed);
    }

    @GetMapping("/{id}")
    Order get(@PathVariable long id) {
        return this.orders.find(id)
            .orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND, "no order " + id));
    }

    @GetMapping
    List<Order> latest(@RequestParam(defaultValue = "50") int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "limit must be between 1 and " + MAX_LIMIT);
        }
        return this.orders.latest(limit);
    }

}
