package com.example.jooq;

import com.example.checks.ClusterTests;
import io.nexs.postgres.PostgresProvider;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jooq.test.autoconfigure.JooqTest;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.jdbc.Sql;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that the {@code @JooqTest} slice, which keeps the application's database (it has no
 * {@code @AutoConfigureTestDatabase}), runs on nexs-postgres's data source and the cluster's primary. The slice
 * runs no {@code schema.sql}, so {@code @Sql} creates the table.
 */
@JooqTest
@Sql("/schema.sql")
class JooqSliceTests extends ClusterTests {

    @Autowired
    private DSLContext dsl;

    @Test
    void sliceUsesTheNexsPostgresDataSource(@Autowired ApplicationContext context) {
        assertThat(context.getBeanNamesForType(PostgresProvider.class)).hasSize(1);
    }

    @Test
    void insertsAndSelectsOnThePrimary() {
        long id = this.dsl.fetchSingle("insert into note (text) values (?) returning id", "inserted in a slice")
            .get(0, Long.class);
        assertThat(this.dsl.fetchValue("select text from note where id = ?", id)).isEqualTo("inserted in a slice");
        assertThat(this.dsl.fetchValue("select inet_server_port()")).isEqualTo(cluster().primary().port());
    }

}
