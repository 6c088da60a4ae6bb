package com.example.observability;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring MVC application with Actuator, a Prometheus registry and OpenTelemetry tracing: nexs-postgres's meters
 * in {@code /actuator/prometheus} and a span for each of its calls.
 */
@SpringBootApplication
public class ObservabilityApplication {

    public static void main(String[] args) {
        SpringApplication.run(ObservabilityApplication.class, args);
    }

}
