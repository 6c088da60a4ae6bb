package io.nexs.postgres.benchmarks;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * One row of {@link CustomerTable} as a JavaBean with setters: the target of the bean contenders.
 */
public class CustomerBean {

    private long id;

    private @Nullable String name;

    private @Nullable String email;

    private int age;

    private @Nullable BigDecimal balance;

    private boolean active;

    private @Nullable OffsetDateTime createdAt;

    private @Nullable LocalDate birthDate;

    private @Nullable UUID externalId;

    private double score;

    /** The primary key. */
    public long getId() {
        return this.id;
    }

    /** Sets the primary key. */
    public void setId(long id) {
        this.id = id;
    }

    /** The name. */
    public @Nullable String getName() {
        return this.name;
    }

    /** Sets the name. */
    public void setName(@Nullable String name) {
        this.name = name;
    }

    /** The email address. */
    public @Nullable String getEmail() {
        return this.email;
    }

    /** Sets the email address. */
    public void setEmail(@Nullable String email) {
        this.email = email;
    }

    /** The age in years. */
    public int getAge() {
        return this.age;
    }

    /** Sets the age in years. */
    public void setAge(int age) {
        this.age = age;
    }

    /** The balance. */
    public @Nullable BigDecimal getBalance() {
        return this.balance;
    }

    /** Sets the balance. */
    public void setBalance(@Nullable BigDecimal balance) {
        this.balance = balance;
    }

    /** Whether the customer is active. */
    public boolean isActive() {
        return this.active;
    }

    /** Sets whether the customer is active. */
    public void setActive(boolean active) {
        this.active = active;
    }

    /** When the row was created. */
    public @Nullable OffsetDateTime getCreatedAt() {
        return this.createdAt;
    }

    /** Sets when the row was created. */
    public void setCreatedAt(@Nullable OffsetDateTime createdAt) {
        this.createdAt = createdAt;
    }

    /** The birth date. */
    public @Nullable LocalDate getBirthDate() {
        return this.birthDate;
    }

    /** Sets the birth date. */
    public void setBirthDate(@Nullable LocalDate birthDate) {
        this.birthDate = birthDate;
    }

    /** An identifier in another system. */
    public @Nullable UUID getExternalId() {
        return this.externalId;
    }

    /** Sets the identifier in another system. */
    public void setExternalId(@Nullable UUID externalId) {
        this.externalId = externalId;
    }

    /** A score. */
    public double getScore() {
        return this.score;
    }

    /** Sets the score. */
    public void setScore(double score) {
        this.score = score;
    }

    /**
     * The same row as a record, so bean contenders can be checked against the record contenders.
     * @return the record
     * @throws NullPointerException when a column was not mapped
     */
    public Customer toRecord() {
        return new Customer(this.id, require(this.name), require(this.email), this.age, require(this.balance),
                this.active, require(this.createdAt), require(this.birthDate), require(this.externalId),
                this.score);
    }

    private static <T> T require(@Nullable T value) {
        if (value == null) {
            throw new NullPointerException("a property of the bean was not mapped");
        }
        return value;
    }

}
