package io.nexs.postgres.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.TestTemplates;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.observe.RecentActivity.SlowStatement;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import io.nexs.postgres.topology.FailoverEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the endpoint reports as recent activity: the slowest statements of the window, one entry per statement,
 * by name or by text without literals, and the latest failovers, newest first.
 */
@ExtendWith(PostgresExtension.class)
class RecentActivityTests {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return RecentActivityTests.this.now.get();
        }
    };

    @Test
    void keepsTheSlowestRunOfEachStatementSlowestFirstForTheWindow(PostgresNode node) {
        RecentActivity activity = new RecentActivity(Duration.ofMinutes(15), this.clock);
        HookManager hooks = new HookManager(Duration.ofSeconds(5), false);
        hooks.register(activity);
        try (HikariDataSource dataSource = TestDataSources.pooled(node, 1)) {
            PostgresTemplate postgres = TestTemplates.template(dataSource, hooks);
            postgres.queryCount("/* name: slow.report */ select count(*) from pg_sleep(0.12)");
            postgres.queryCount("select count(*) from pg_sleep(0.06) where 'secret' <> 'value'");
            for (int i = 0; i < 12; i++) {
                postgres.queryCount("/* name: quick." + i + " */ select " + i);
            }
            postgres.queryCount("/* name: slow.report */ select count(*) from pg_sleep(0.01)");

            List<SlowStatement> slowest = activity.slowestStatements();
            assertThat(slowest).hasSize(RecentActivity.KEPT);
            assertThat(slowest.get(0).statement()).isEqualTo("slow.report");
            assertThat(slowest.get(0).duration()).isGreaterThanOrEqualTo(Duration.ofMillis(120));
            assertThat(slowest.get(0).operation()).isEqualTo("query");
            assertThat(slowest.get(1).statement()).isEqualTo("select count(*) from pg_sleep(?) where ? <> ?");
            assertThat(slowest).extracting(SlowStatement::statement).doesNotHaveDuplicates()
                .noneMatch((text) -> text.contains("secret"));
            assertThat(slowest).extracting(SlowStatement::duration).isSortedAccordingTo((a, b) -> b.compareTo(a));

            this.now.set(this.now.get().plus(Duration.ofMinutes(16)));
            assertThat(activity.slowestStatements()).as("the window has passed").isEmpty();
            postgres.queryCount("select count(*) from pg_class where relname = 'after'");
            assertThat(activity.slowestStatements()).extracting(SlowStatement::statement)
                .containsExactly("select count(*) from pg_class where relname = ?");
        }
        finally {
            hooks.close();
        }
    }

    @Test
    void keepsTheLatestFailoversNewestFirst() {
        RecentActivity activity = new RecentActivity(Duration.ofMinutes(15), this.clock);
        for (int i = 1; i <= RecentActivity.KEPT + 2; i++) {
            activity.onFailover(new FailoverEvent("node-" + (i - 1), "node-" + i, i, Duration.ofMillis(i),
                    Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i)));
        }
        assertThat(activity.failovers()).hasSize(RecentActivity.KEPT);
        assertThat(activity.failovers().get(0).newPrimary()).isEqualTo("node-" + (RecentActivity.KEPT + 2));
        assertThat(activity.failovers().get(RecentActivity.KEPT - 1).newPrimary()).isEqualTo("node-3");
    }

}
