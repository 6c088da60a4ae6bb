package com.example.datajpa;

import com.example.checks.ClusterTests;
import io.nexs.postgres.PostgresProvider;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.jpa.test.autoconfigure.TestEntityManager;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves that the {@code @DataJpaTest} slice, told to keep the application's database
 * ({@code replace = NONE}), runs on nexs-postgres's data source and the cluster's primary.
 */
@DataJpaTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
class NoteRepositoryTests extends ClusterTests {

    @Autowired
    private NoteRepository repository;

    @Autowired
    private TestEntityManager entityManager;

    @Test
    void sliceUsesTheNexsPostgresDataSource(@Autowired ApplicationContext context) {
        assertThat(context.getBeanNamesForType(PostgresProvider.class)).hasSize(1);
    }

    @Test
    void savesAndFindsOnThePrimary(@Autowired JdbcClient jdbc) {
        long id = this.repository.saveAndFlush(new Note("saved in a slice")).getId();
        this.entityManager.clear();
        assertThat(this.repository.findById(id)).map(Note::getText).hasValue("saved in a slice");
        assertThat(jdbc.sql("select inet_server_port()").query(Integer.class).single())
            .isEqualTo(cluster().primary().port());
    }

}
