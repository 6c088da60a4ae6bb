package io.nexs.postgres.hook;

import java.time.Duration;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.UnmappedColumns;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.Topologies;
import io.nexs.postgres.tx.Retrier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The slow-query log on a real server: one warning for an operation over the threshold, none under it, and never
 * a bound value or a literal of the SQL in the line.
 */
@ExtendWith(PostgresExtension.class)
class SlowQueryLoggerTests {

    private static final String BOUND_SECRET = "Bound-Secret-4711";

    private static PostgresNode node;

    private static HookManager hooks;

    private static DefaultPostgresProvider provider;

    private final Logger logger = (Logger) LoggerFactory.getLogger(SlowQueryLogger.LOGGER_NAME);

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeAll
    static void startProvider(PostgresNode started) {
        node = started;
        // parameters included, so nothing but the logger itself keeps them out of the line
        hooks = new HookManager(Duration.ofSeconds(5), true);
        hooks.register(new SlowQueryLogger(Duration.ofMillis(150)));
        provider = new DefaultPostgresProvider(Topologies.start(List.of(Topologies.definition(node)),
                Topologies.fast()), new RowMappers(UnmappedColumns.IGNORE, null), 100, hooks, Retrier.disabled());
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
        hooks.close();
    }

    @BeforeEach
    void captureLog() {
        this.appender.start();
        this.logger.addAppender(this.appender);
    }

    @AfterEach
    void releaseLog() {
        this.logger.detachAppender(this.appender);
    }

    @Test
    void aQueryOverTheThresholdIsLoggedOnceWithoutValuesOrLiterals() {
        List<String> tags = provider.queryAll(
                "select 'Literal-Xyzzy' as tag from pg_sleep(0.3) where ? <> 'Other-Literal-Plugh' and 98765 > 7",
                (rs, n) -> rs.getString(1), BOUND_SECRET);
        assertThat(tags).containsExactly("Literal-Xyzzy");
        assertThat(this.appender.list).singleElement().satisfies((event) -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getLoggerName()).isEqualTo("io.nexs.postgres.slow-query");
            assertThat(event.getFormattedMessage())
                .startsWith("Slow query queryAll on " + node.name() + " (primary): ")
                .contains(" ms, 1 rows: ")
                .endsWith("select ? as tag from pg_sleep(?) where ? <> ? and ? > ?")
                .doesNotContain(BOUND_SECRET)
                .doesNotContain("Xyzzy")
                .doesNotContain("Plugh")
                .doesNotContain("0.3")
                .doesNotContain("98765");
        });
    }

    @Test
    void aFastQueryIsNotLogged() {
        assertThat(provider.queryCount("select count(*) from pg_class where relname <> ?", BOUND_SECRET))
            .isPositive();
        provider.exec("do $$ begin end $$");
        assertThat(this.appender.list).isEmpty();
    }

    @Test
    void aSlowStatementThatFailsIsLoggedWithItsSqlStateAndNotItsMessage() {
        assertThatExceptionOfType(DataAccessException.class).isThrownBy(() -> provider.exec(
                "do $$ begin perform pg_sleep(0.2); raise exception 'Secret-Message' using errcode = '22012'; "
                        + "end $$"));
        assertThat(this.appender.list).singleElement().satisfies((event) -> assertThat(event.getFormattedMessage())
            .startsWith("Slow exec exec on " + node.name() + " (primary): ")
            .contains("unknown rows, failed with SQLSTATE 22012: do ?")
            .doesNotContain("Secret-Message"));
    }

}
