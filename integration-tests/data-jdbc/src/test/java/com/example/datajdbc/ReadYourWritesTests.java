package com.example.datajdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A repository reads what it saved, with the default settings, while the standby has replayed none of it: a
 * synchronous standby under {@code synchronous_commit = on} acknowledges a commit once it has flushed it, not
 * replayed it, and here its replay is paused. {@code findById} is a read-only transaction that begins after the
 * {@code save} transaction ended, so only the thread's memory of its write keeps it off the stale standby.
 */
@SpringBootTest
@DirtiesContext
class ReadYourWritesTests {

    private static final int SAVES = 10;

    @AutoClose
    private static PostgresCluster cluster;

    @Autowired
    private NoteRepository repository;

    @Autowired
    private NoteService service;

    @BeforeAll
    static void startCluster() {
        cluster = PostgresCluster.builder()
            .standbys(1)
            .synchronous(true)
            .setting("synchronous_commit", "on")
            .durable(false)
            .password(UUID.randomUUID().toString())
            .start();
    }

    @DynamicPropertySource
    static void connectNexsPostgres(DynamicPropertyRegistry registry) {
        registry.add("nexs.postgres.url", cluster::jdbcUrl);
        registry.add("nexs.postgres.username", () -> cluster.primary().username());
        registry.add("nexs.postgres.password", () -> cluster.primary().password());
    }

    @BeforeEach
    void pauseReplay() throws SQLException {
        cluster.awaitReplay(Duration.ofSeconds(10));
        replay("pause");
    }

    @AfterEach
    void resumeReplay() throws SQLException {
        replay("resume");
    }

    private static void replay(String what) throws SQLException {
        PostgresNode standby = cluster.standbys().get(0);
        try (Connection connection = standby.connect(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_wal_replay_" + what + "()");
        }
    }

    @Test
    void findByIdAfterSaveSeesTheRowWhileTheStandbyHasNotReplayedIt() throws Exception {
        int misses = 0;
        long last = 0;
        for (int i = 0; i < SAVES; i++) {
            Note saved = this.repository.save(Note.of("saved " + i));
            last = saved.id();
            misses += this.repository.findById(saved.id()).isPresent() ? 0 : 1;
        }
        assertThat(misses).isZero();
        // the standby has not replayed the writes: a thread that wrote nothing reads there and misses the row
        assertThat(onAThreadThatWroteNothing(last)).isEmpty();
    }

    @Test
    void aReadOnlyServiceMethodAfterATransactionalOneSeesTheRow() throws Exception {
        int misses = 0;
        for (int i = 0; i < SAVES; i++) {
            Note added = this.service.add("added " + i);
            misses += this.service.find(added.id()).isPresent() ? 0 : 1;
        }
        assertThat(misses).isZero();
    }

    private Optional<Note> onAThreadThatWroteNothing(long id) throws Exception {
        CompletableFuture<Optional<Note>> found = new CompletableFuture<>();
        new Thread(() -> {
            try {
                found.complete(this.repository.findById(id));
            }
            catch (RuntimeException ex) {
                found.completeExceptionally(ex);
            }
        }).start();
        return found.get();
    }

}
