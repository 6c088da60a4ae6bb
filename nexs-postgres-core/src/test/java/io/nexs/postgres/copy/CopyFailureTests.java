package io.nexs.postgres.copy;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TestTemplates;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import io.nexs.postgres.tx.RetryTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * COPY against failures a load meets: values that hold quotes, a source that breaks between chunks, a listener
 * that must hear of the end, a query ending in a comment, a writing query or a connection lost during a COPY out,
 * and a one-shot source inside a transaction the caller retries.
 */
@ExtendWith(PostgresExtension.class)
class CopyFailureTests {

    private static final List<String> COLUMNS = List.of("id", "label", "taken_at", "amount");

    private static HikariDataSource dataSource;

    private static PostgresTemplate plain;

    private static PostgresNode server;

    private PostgresTemplate retrying;

    record Reading(long id, String label, Instant takenAt, BigDecimal amount) {
    }

    @BeforeAll
    static void start(PostgresNode node) {
        dataSource = TestDataSources.pooled(node, 6);
        plain = new PostgresTemplate(dataSource);
        server = node;
    }

    /** A retrying template over unpooled connections, so that a pooled dead connection cannot hide a resend. */
    private static PostgresTemplate unpooledRetrying() {
        org.springframework.jdbc.datasource.SimpleDriverDataSource unpooled =
                new org.springframework.jdbc.datasource.SimpleDriverDataSource(new org.postgresql.Driver(),
                        server.jdbcUrl(), server.username(), server.password());
        return TestTemplates.template(unpooled, RetryTestSupport.retrier(3));
    }

    @AfterAll
    static void stop() {
        dataSource.close();
    }

    @BeforeEach
    void tables() {
        this.retrying = TestTemplates.template(dataSource, RetryTestSupport.retrier(3));
        plain.exec("drop table if exists failure_readings");
        plain.exec("create table failure_readings (id bigint primary key, label text not null, taken_at timestamptz, "
                + "amount numeric(12,2))");
        plain.exec("drop table if exists failure_notes");
        plain.exec("create table failure_notes (id int primary key, body text, price numeric(8,2))");
    }

    private static Reading reading(long id) {
        return new Reading(id, "r" + id, Instant.EPOCH, BigDecimal.ONE);
    }

    /** SqlErrors.translateCopy: QUOTED stops at the value's own quote, and the text between two quotes leaks. */
    @Test
    void aDataErrorNeverQuotesTheValueEvenWhenTheValueHoldsQuotes() {
        String tsv = "1\tnote\t12\"secret\"34\n";
        Throwable failure = catchThrowable(() -> plain.copy().into("failure_notes")
                .from(new StringReader(tsv), CopyFormat.tsv()));
        assertThat(failure).hasMessageContaining("invalid input syntax for type numeric")
            .hasMessageNotContaining("secret");
    }

    /** ChunkedLoad.run: a source failing between chunks escapes raw; which chunks committed is lost. */
    @Test
    void aSourceFailingBetweenChunksStillReportsTheCommittedChunks() {
        Iterator<Reading> rows = new Iterator<>() {
            private long next = 1;

            @Override
            public boolean hasNext() {
                if (this.next > 200) {
                    throw new IllegalStateException("the source broke");
                }
                return true;
            }

            @Override
            public Reading next() {
                return reading(this.next++);
            }
        };
        CopyOptions options = CopyOptions.defaults().withMode(CopyMode.PER_CHUNK).withChunkRows(100);
        Throwable failure = catchThrowable(() -> plain.copy().into("failure_readings").columns(COLUMNS).options(options)
                .rows(rows));
        assertThat(plain.queryCount("select count(*) from failure_readings")).isEqualTo(200);
        assertThat(failure).isInstanceOf(PartialCopyException.class);
        assertThat(((PartialCopyException) failure).getResult().rows()).isEqualTo(200);
    }

    /** Progress: an atomic load that fails never gives the listener its last (done) report. */
    @Test
    void anAtomicLoadThatFailsStillReportsOnceAtTheEnd() {
        List<CopyProgress> reports = new CopyOnWriteArrayList<>();
        List<Object[]> rows = List.of(new Object[] { 1, "a", Instant.EPOCH, BigDecimal.ONE },
                new Object[] { 2, "b", Instant.EPOCH, "not a number" });
        CopyOptions options = CopyOptions.defaults().withProgress(Duration.ofSeconds(1), reports::add);
        Throwable failure = catchThrowable(() -> plain.copy().into("failure_readings").columns(COLUMNS).options(options)
                .rows(rows));
        assertThat(failure).isInstanceOf(CopyValueException.class);
        assertThat(reports).anyMatch(CopyProgress::done);
    }

    /** copyOut: "COPY (" + query + ") TO STDOUT": a query ending in a line comment comments out the rest. */
    @Test
    void aQueryEndingInALineCommentCopiesOut() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long rows = plain.copy().out("select 1 as one -- the answer").to(out, CopyFormat.csv());
        assertThat(rows).isOne();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("1\n");
    }

    /**
     * copyOut retries any query that failed before output was written, even one that writes and was lost after
     * the server ran it; the query path (PostgresTemplate.execute) refuses exactly that.
     */
    @Test
    void copyOutDoesNotSendAWritingQueryAgainAfterTheConnectionWasLost() {
        plain.exec("drop sequence if exists failure_hits");
        plain.exec("create sequence failure_hits");
        plain.exec("drop sequence if exists failure_faults");
        plain.exec("create sequence failure_faults");
        plain.exec("create or replace function failure_write() returns int language plpgsql as $$ begin "
                + "perform nextval('failure_hits'); "
                + "if nextval('failure_faults') = 1 then perform pg_terminate_backend(pg_backend_pid()); end if; "
                + "return 1; end $$");
        PostgresTemplate unpooled = unpooledRetrying();
        Throwable query = catchThrowable(() -> unpooled.queryAll(Integer.class, "select failure_write()"));
        assertThat(query).as("the query path refuses to resend").isNotNull();
        assertThat(this.retrying.queryCount("select last_value from failure_hits")).isEqualTo(1);

        plain.exec("alter sequence failure_faults restart");
        plain.exec("alter sequence failure_hits restart");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Throwable copy = catchThrowable(() -> unpooled.copy().out("select failure_write()").to(out, CopyFormat.csv()));
        assertThat(this.retrying.queryCount("select last_value from failure_hits")).as("times the writing query ran")
            .isEqualTo(1);
        assertThat(copy).isNotNull();
    }


    /**
     * copyOut goes through the driver's CopyManager on the unwrapped connection: Hikari never sees the connection
     * loss, takes the dead connection back as healthy and lends it to the next call.
     */
    @Test
    void aConnectionLostDuringCopyOutIsNotLentAgain() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Throwable failure = catchThrowable(() -> plain.copy().out("select pg_terminate_backend(pg_backend_pid())")
                .to(out, CopyFormat.csv()));
        assertThat(failure).isNotNull();
        assertThat(plain.queryCount("select count(*) from failure_notes")).isZero();
    }

    /**
     * An atomic load joining the caller's transaction consumes a one-shot source (Iterator, Reader, InputStream);
     * when the COPY fails on a transient error, the caller's inTransaction runs the callback again, the COPY reads
     * the exhausted source, loads nothing, and the transaction commits: no rows and no error.
     */
    @Test
    void aOneShotSourceInTheCallersTransactionIsNotSilentlyLoadedEmptyOnRetry() {
        plain.exec("drop sequence if exists failure_copy_faults");
        plain.exec("create sequence failure_copy_faults");
        plain.exec("create or replace function failure_copy_fault() returns trigger language plpgsql as $$ begin "
                + "if new.id = 600 and nextval('failure_copy_faults') = 1 then "
                + "raise exception 'injected' using errcode = '40001'; end if; return new; end $$");
        plain.exec("create trigger failure_copy_fault before insert on failure_readings for each row "
                + "execute function failure_copy_fault()");
        Iterator<Reading> rows = java.util.stream.LongStream.rangeClosed(1, 1000).mapToObj(CopyFailureTests::reading)
            .iterator();
        Throwable failure = catchThrowable(() -> this.retrying.inTransaction(
                (status) -> this.retrying.copy().into("failure_readings").columns(COLUMNS)
                        .options(CopyOptions.defaults()).rows(rows)));
        long loaded = plain.queryCount("select count(*) from failure_readings");
        assertThat(loaded == 1000 || failure != null)
            .as("either every row is loaded or the caller hears of the failure; loaded %d, failure %s", loaded,
                    failure)
            .isTrue();
    }

}
