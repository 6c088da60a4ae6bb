package com.example.datajdbc;

import com.example.checks.ClusterTests;
import io.nexs.postgres.PostgresProvider;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jdbc.test.autoconfigure.DataJdbcTest;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that the {@code @DataJdbcTest} slice, told to keep the application's database
 * ({@code replace = NONE}), runs on nexs-postgres's data source and the cluster's primary.
 */
@DataJdbcTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
class NoteRepositoryTests extends ClusterTests {

    @Autowired
    private NoteRepository repository;

    @Test
    void sliceUsesTheNexsPostgresDataSource(@Autowired ApplicationContext context) {
        assertThat(context.getBeanNamesForType(PostgresProvider.class)).hasSize(1);
    }

    @Test
    void savesAndFindsOnThePrimary(@Autowired JdbcClient jdbc) {
        Note saved = this.repository.save(Note.of("saved in a slice"));
        assertThat(saved.id()).isNotNull();
        assertThat(this.repository.findById(saved.id())).hasValue(saved);
        assertThat(jdbc.sql("select inet_server_port()").query(Integer.class).single())
            .isEqualTo(cluster().primary().port());
    }

}
