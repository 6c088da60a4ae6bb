package com.example.jooq;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A jOOQ application: Spring Boot's {@code DSLContext}, without generated code, on nexs-postgres's routed data
 * source.
 */
@SpringBootApplication
public class JooqApplication {

    public static void main(String[] args) {
        SpringApplication.run(JooqApplication.class, args);
    }

}
