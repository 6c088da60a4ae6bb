package com.example.withoutdatasource;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresProvider;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that an application that excludes Spring Boot's data source auto-configuration, as tests without a
 * database do, gets no data source from nexs-postgres either: no pool, no provider, no connection attempt (there is
 * no server to reach here).
 */
@SpringBootTest
class ExcludedDataSourceTests {

    @Autowired
    private ApplicationContext context;

    @Test
    void startsWithoutADataSourceOrAProvider() {
        assertThat(this.context.getBeanNamesForType(DataSource.class)).isEmpty();
        assertThat(this.context.getBeanNamesForType(PostgresProvider.class)).isEmpty();
        assertThat(this.context.getBeanNamesForType(PostgresOperations.class)).isEmpty();
    }

    /** In a package of its own, so the data-jpa application's component scan does not see it. */
    @SpringBootApplication(exclude = { DataSourceAutoConfiguration.class,
            DataSourceTransactionManagerAutoConfiguration.class, HibernateJpaAutoConfiguration.class })
    static class WithoutDataSourceApplication {

    }

}
