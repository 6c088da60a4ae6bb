package com.example.datajdbc;

import com.example.checks.ClusterTests;
import io.nexs.postgres.PostgresProvider;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that the plain {@code @JdbcTest} slice, told to keep the application's database ({@code replace = NONE}),
 * runs on nexs-postgres's data source and the cluster's primary.
 */
@JdbcTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
class JdbcSliceTests extends ClusterTests {

    @Autowired
    private JdbcClient jdbc;

    @Test
    void sliceUsesTheNexsPostgresDataSource(@Autowired ApplicationContext context) {
        assertThat(context.getBeanNamesForType(PostgresProvider.class)).hasSize(1);
    }

    @Test
    void insertsAndSelectsOnThePrimary() {
        long id = this.jdbc.sql("insert into note (text) values (?) returning id")
            .param("inserted in a slice")
            .query(Long.class)
            .single();
        assertThat(this.jdbc.sql("select text from note where id = ?").param(id).query(String.class).single())
            .isEqualTo("inserted in a slice");
        assertThat(this.jdbc.sql("select inet_server_port()").query(Integer.class).single())
            .isEqualTo(cluster().primary().port());
    }

}
