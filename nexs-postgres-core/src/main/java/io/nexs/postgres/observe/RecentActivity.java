package io.nexs.postgres.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.hook.SqlText;
import io.nexs.postgres.topology.FailoverEvent;
import org.jspecify.annotations.Nullable;

/**
 * Remembers what an operator asks about first: the latest failovers, and the slowest statements of the last few
 * minutes, by their name ({@code /* name: ... *}{@code /}) or their text with literals removed. Never parameter
 * values. Checking a statement costs one comparison unless it is slower than the slowest kept.
 */
public class RecentActivity implements PostgresHook {

    /** How many failovers and slow statements are kept. */
    public static final int KEPT = 10;

    private final Duration window;

    private final Clock clock;

    private final Deque<FailoverEvent> failovers = new ArrayDeque<>();

    private final List<SlowStatement> slowest = new ArrayList<>();

    /** A statement faster than this cannot enter the list; 0 while the list has room. */
    private volatile long admissionNanos;

    /** When the oldest statement kept leaves the window, in the clock's milliseconds. */
    private volatile long nextExpiryMillis = Long.MAX_VALUE;

    /**
     * Keeps the slowest statements of the last {@code window}.
     * @param window how long a slow statement is remembered
     */
    public RecentActivity(Duration window) {
        this(window, Clock.systemUTC());
    }

    RecentActivity(Duration window, Clock clock) {
        this.window = window;
        this.clock = clock;
    }

    @Override
    public void afterQuery(HookContext context) {
        consider(context);
    }

    @Override
    public void afterExec(HookContext context) {
        consider(context);
    }

    @Override
    public void afterBatch(HookContext context) {
        consider(context);
    }

    @Override
    public void afterCopy(HookContext context) {
        consider(context);
    }

    @Override
    public void onFailover(FailoverEvent event) {
        synchronized (this.failovers) {
            this.failovers.addFirst(event);
            while (this.failovers.size() > KEPT) {
                this.failovers.removeLast();
            }
        }
    }

    /**
     * The latest failovers, newest first.
     * @return at most {@value #KEPT}
     */
    public List<FailoverEvent> failovers() {
        synchronized (this.failovers) {
            return List.copyOf(this.failovers);
        }
    }

    /**
     * The slowest statements of the window, slowest first.
     * @return at most {@value #KEPT}
     */
    public List<SlowStatement> slowestStatements() {
        synchronized (this.slowest) {
            expire();
            return List.copyOf(this.slowest);
        }
    }

    private void consider(HookContext context) {
        long nanos = context.durationNanos();
        if ((nanos < this.admissionNanos && this.clock.millis() < this.nextExpiryMillis) || context.sql() == null) {
            return;
        }
        String name = SqlText.queryName(context.sql());
        SlowStatement statement = new SlowStatement((name != null) ? name : SqlText.normalize(context.sql()),
                context.operation().label(), context.node(), Duration.ofNanos(nanos), this.clock.instant(),
                context.failed());
        synchronized (this.slowest) {
            expire();
            this.slowest.removeIf((kept) -> kept.statement().equals(statement.statement())
                    && kept.duration().compareTo(statement.duration()) <= 0);
            if (this.slowest.stream().noneMatch((kept) -> kept.statement().equals(statement.statement()))) {
                this.slowest.add(statement);
                this.slowest.sort(Comparator.comparing(SlowStatement::duration).reversed());
                if (this.slowest.size() > KEPT) {
                    this.slowest.remove(this.slowest.size() - 1);
                }
            }
            admit();
        }
    }

    private void expire() {
        Instant oldest = this.clock.instant().minus(this.window);
        if (this.slowest.removeIf((kept) -> kept.at().isBefore(oldest))) {
            admit();
        }
    }

    private void admit() {
        this.admissionNanos = (this.slowest.size() < KEPT) ? 0
                : this.slowest.get(this.slowest.size() - 1).duration().toNanos();
        this.nextExpiryMillis = this.slowest.stream()
            .mapToLong((kept) -> kept.at().plus(this.window).toEpochMilli())
            .min()
            .orElse(Long.MAX_VALUE);
    }

    @Override
    public String toString() {
        return "RecentActivity";
    }

    /**
     * One of the slowest statements: the slowest run of its text within the window.
     *
     * @param statement its name, or its text with literals removed
     * @param operation query, exec, batch or copy
     * @param node the node it ran on, if known
     * @param duration how long it took
     * @param at when it ended
     * @param failed whether it failed
     */
    public record SlowStatement(String statement, String operation, @Nullable String node, Duration duration,
            Instant at, boolean failed) {
    }

}
