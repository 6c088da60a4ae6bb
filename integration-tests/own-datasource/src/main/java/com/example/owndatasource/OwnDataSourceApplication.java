package com.example.owndatasource;

import com.zaxxer.hikari.HikariDataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * An application that defines its own {@code DataSource}, a plain HikariCP pool to one server configured under
 * {@code app.datasource}: nexs-postgres keeps it and only adds its query API over it.
 */
@SpringBootApplication
public class OwnDataSourceApplication {

    public static void main(String[] args) {
        SpringApplication.run(OwnDataSourceApplication.class, args);
    }

    @Bean
    @ConfigurationProperties("app.datasource")
    HikariDataSource dataSource() {
        return new HikariDataSource();
    }

}
