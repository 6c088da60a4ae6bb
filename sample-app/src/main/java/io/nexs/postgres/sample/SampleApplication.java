package io.nexs.postgres.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An orders service on nexs-postgres. Without a {@code nexs.postgres} connection it runs on an embedded
 * PostgreSQL that lives as long as the application.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

}
