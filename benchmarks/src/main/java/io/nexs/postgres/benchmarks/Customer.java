package io.nexs.postgres.benchmarks;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One row of {@link CustomerTable} as a record: the target of the record contenders.
 *
 * @param id the primary key
 * @param name the name
 * @param email the email address
 * @param age the age in years
 * @param balance the balance, two decimals
 * @param active whether the customer is active
 * @param createdAt when the row was created
 * @param birthDate the birth date
 * @param externalId an identifier in another system
 * @param score a score
 */
public record Customer(long id, String name, String email, int age, BigDecimal balance, boolean active,
        OffsetDateTime createdAt, LocalDate birthDate, UUID externalId, double score) {
}
