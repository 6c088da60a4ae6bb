package com.example.actuatorweb;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring MVC application with Actuator and without a Prometheus registry: notes over HTTP, and nexs-postgres's
 * health in {@code /actuator/health}.
 */
@SpringBootApplication
public class ActuatorWebApplication {

    public static void main(String[] args) {
        SpringApplication.run(ActuatorWebApplication.class, args);
    }

}
