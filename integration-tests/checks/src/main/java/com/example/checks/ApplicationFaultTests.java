package com.example.checks;

import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import io.nexs.postgres.error.OutcomeUnknownException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.dao.TransientDataAccessException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an application shape is told, and what it reads, when things go wrong, with its own way of writing and
 * reading (a repository, jOOQ or {@code JdbcTemplate} in Spring transactions) and nexs-postgres's defaults:
 *
 * <ul>
 * <li>the answer to a {@code COMMIT} is lost after the server committed: the write returns normally and the row is
 * there once;</li>
 * <li>the standby's replay is paused: a read that follows the thread's own write still sees it;</li>
 * <li>the primary is killed under writes and the standby promoted: writes resume on the new primary, every write
 * the application was told committed is there, a failure reported as transient left nothing behind, and a write
 * that was applied is not reported as failed (only as of unknown outcome).</li>
 * </ul>
 *
 * <p>The killed primary comes last: the cluster stays broken for the rest of the class. A subclass carries its own
 * {@code @SpringBootTest} and says in two hooks how the application writes and reads a note.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class ApplicationFaultTests extends ProxiedClusterTests {

    private static final Log logger = LogFactory.getLog(ApplicationFaultTests.class);

    /** Writes, each read back at once, while the standby's replay is paused. */
    private static final int READS_AFTER_WRITES = 20;

    /** Writes acknowledged before the primary is killed, and after the standby is promoted. */
    private static final int WRITES_AROUND_FAILOVER = 20;

    /** Writes a note with this text the application's own way, in a transaction of its own; returns its id. */
    protected abstract long write(ApplicationContext context, String text);

    /** Reads the text of note {@code id} the application's own read-only way; empty when there is none. */
    protected abstract Optional<String> read(ApplicationContext context, long id);

    @Test
    @Order(1)
    void aCommitWhoseAnswerIsLostReturnsNormallyAndTheRowIsThereOnce(@Autowired ApplicationContext context)
            throws Exception {
        slowCommits();
        String text = SLOW_COMMIT + " " + UUID.randomUUID();
        CompletableFuture<Long> written = CompletableFuture.supplyAsync(() -> write(context, text));
        awaitSleepingCommit();
        // the server's answer to COMMIT will never reach the application
        primaryProxy().blackHole(true);
        try {
            await().atMost(WAIT).until(() -> notesWithText(cluster().primary(), text) == 1);
            assertThat(written).as("the answer to COMMIT was held back").isNotDone();
            assertThat(primaryProxy().cutConnections()).isPositive();
        }
        finally {
            primaryProxy().blackHole(false);
        }

        try {
            assertThat(written.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isPositive();
        }
        catch (ExecutionException ex) {
            throw new AssertionError("The transaction committed and its answer was lost, yet the application was "
                    + "told: " + describe(ex.getCause()), ex.getCause());
        }
        assertThat(notesWithText(cluster().primary(), text)).as("rows written").isOne();
    }

    @Test
    @Order(2)
    void readsThatFollowTheThreadsOwnWritesSeeThemWhileTheStandbyLags(@Autowired ApplicationContext context)
            throws SQLException {
        String run = UUID.randomUUID().toString();
        List<String> missed = new ArrayList<>();
        // Read-your-writes lasts a bounded time after the write (read-your-writes-window). The first read of a
        // cold application (jOOQ builds its query machinery then) can take longer than that before it asks for a
        // connection, and then reads like any other: warm the path up first.
        read(context, write(context, "warm-up " + run));
        pauseReplay();
        try {
            for (int i = 1; i <= READS_AFTER_WRITES; i++) {
                String text = "read back " + i + " " + run;
                long id = write(context, text);
                if (!read(context, id).equals(Optional.of(text))) {
                    missed.add(text);
                }
            }
            assertThat(textsStartingWith(standby(), "read back ")).as("a read served by the standby would miss")
                .noneMatch((text) -> text.endsWith(run));
        }
        finally {
            resumeReplay();
        }
        assertThat(missed).as("reads of the note just written that did not find it, of " + READS_AFTER_WRITES)
            .isEmpty();
    }

    @Test
    @Order(3)
    void writesGoOnOnThePromotedStandbyAndEveryFailureTellsTheTruth(@Autowired ApplicationContext context)
            throws Exception {
        String prefix = "written while the primary dies #";
        NavigableSet<Integer> acknowledged = new ConcurrentSkipListSet<>();
        Map<Integer, RuntimeException> failures = new ConcurrentHashMap<>();
        AtomicInteger lastAttempted = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int n = 1; !stop.get(); n++) {
                lastAttempted.set(n);
                try {
                    write(context, prefix + n);
                    acknowledged.add(n);
                }
                catch (RuntimeException ex) {
                    failures.put(n, ex);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }, "note-writer");
        writer.start();
        try {
            await().atMost(WAIT).until(() -> acknowledged.size() >= WRITES_AROUND_FAILOVER);
            crashPrimaryAndPromoteStandby();
            int lastBeforePromotion = lastAttempted.get();
            await().atMost(WAIT)
                .untilAsserted(() -> assertThat(acknowledged.tailSet(lastBeforePromotion, false))
                    .as(() -> "writes acknowledged after the promotion; failures: " + describe(failures))
                    .hasSizeGreaterThanOrEqualTo(WRITES_AROUND_FAILOVER));
        }
        finally {
            stop.set(true);
            writer.join(WAIT.toMillis());
        }
        assertThat(writer.isAlive()).isFalse();
        logger.info(acknowledged.size() + " writes acknowledged, " + failures.size() + " failed: "
                + describe(failures));

        List<String> texts = textsStartingWith(standby(), prefix);
        assertThat(texts).as("writes on the new primary").doesNotHaveDuplicates();
        Set<Integer> present = texts.stream()
            .map((text) -> Integer.valueOf(text.substring(prefix.length())))
            .collect(Collectors.toCollection(TreeSet::new));
        assertThat(present).as("writes the application was told committed, on the new primary")
            .containsAll(acknowledged);
        List<String> untruths = new ArrayList<>();
        new TreeMap<>(failures).forEach((n, failure) -> {
            if (isTransient(failure) && present.contains(n)) {
                untruths.add("#" + n + " was applied but reported as transient: " + describe(failure));
            }
            else if (present.contains(n) && !isOutcomeUnknown(failure)) {
                untruths.add("#" + n + " was applied but reported as failed: " + describe(failure));
            }
        });
        assertThat(untruths).as("failures that did not tell the truth").isEmpty();
    }

    private static boolean isTransient(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof TransientDataAccessException || cause instanceof SQLTransientException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isOutcomeUnknown(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutcomeUnknownException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Map<Integer, RuntimeException> failures) {
        return new TreeMap<>(failures).entrySet()
            .stream()
            .map((failure) -> "#" + failure.getKey() + " " + describe(failure.getValue()))
            .collect(Collectors.joining("; ", "[", "]"));
    }

}
