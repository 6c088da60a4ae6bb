package io.nexs.postgres.sample;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.PostgresHook;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * Audits every statement that changes data, whichever API sent it through the provider (an {@code insert ...
 * returning} run as a query included): what was done to which table, on which node, how many rows, whether it
 * worked. One line per write goes to the {@code audit} logger, and the latest entries are kept for
 * {@code GET /api/audit}. Like every hook it never sees parameter values unless the application turns them on,
 * and it keeps none: an audit trail must not become a copy of the data.
 */
@Component
class AuditHook implements PostgresHook, Ordered {

    private static final Logger audit = LoggerFactory.getLogger("audit");

    private static final int KEPT = 100;

    private static final Pattern WRITE = Pattern.compile(
            "^(?:with\\b.*?\\)\\s*)?(insert\\s+into|update|delete\\s+from|merge\\s+into|truncate(?:\\s+table)?)\\s+"
                    + "((?:\"[^\"]+\"|[\\w$]+)(?:\\.(?:\"[^\"]+\"|[\\w$]+))?)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private final Deque<AuditEntry> entries = new ArrayDeque<>();

    @Override
    public int getOrder() {
        // after hooks that time or trace the call, so the entry sees the final outcome
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void afterQuery(HookContext context) {
        record(context);
    }

    @Override
    public void afterExec(HookContext context) {
        record(context);
    }

    @Override
    public void afterBatch(HookContext context) {
        record(context);
    }

    @Override
    public void afterCopy(HookContext context) {
        record(context);
    }

    private void record(HookContext context) {
        Matcher write = (context.sql() != null) ? WRITE.matcher(context.sql().strip()) : null;
        if (write == null || !write.find()) {
            return;
        }
        String action = write.group(1).toLowerCase(Locale.ROOT).split("\\s+")[0];
        AuditEntry entry = new AuditEntry(context.startTime(), action, write.group(2), context.name(),
                context.node(), (context.role() != null) ? context.role().label() : null, context.rows(),
                context.duration().toMillis(), context.failed() ? "failed" : "ok", context.sqlState());
        audit.info("{} {} via {} on {} ({}): {} rows, {} ms, {}{}", entry.action(), entry.table(), entry.call(),
                entry.node(), entry.role(), entry.rows(), entry.millis(), entry.outcome(),
                (entry.sqlState() != null) ? " SQLSTATE " + entry.sqlState() : "");
        synchronized (this.entries) {
            this.entries.addFirst(entry);
            if (this.entries.size() > KEPT) {
                this.entries.removeLast();
            }
        }
    }

    /**
     * The latest writes, newest first.
     * @return up to 100 entries
     */
    List<AuditEntry> latest() {
        synchronized (this.entries) {
            return new ArrayList<>(this.entries);
        }
    }

    @Override
    public String toString() {
        return "AuditHook";
    }

    /**
     * One audited write.
     *
     * @param at when it started
     * @param action insert, update, delete, merge or truncate
     * @param table the table, as written in the SQL
     * @param call the provider call that ran it
     * @param node the node it ran on
     * @param role the node's role then
     * @param rows rows affected or returned, -1 when not known
     * @param millis how long it took
     * @param outcome ok or failed
     * @param sqlState the SQLSTATE when it failed
     */
    record AuditEntry(Instant at, String action, String table, String call, @Nullable String node,
            @Nullable String role, long rows, long millis, String outcome, @Nullable String sqlState) {
    }

}
