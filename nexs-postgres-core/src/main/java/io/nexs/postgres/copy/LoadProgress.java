package io.nexs.postgres.copy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The progress of one load: reported to the listener every interval and at the end, and logged every
 * {@link #LOG_INTERVAL} of a long load. Counters are updated by sender threads too; reports are made on the
 * reading thread.
 */
final class LoadProgress {

    private static final Logger logger = LoggerFactory.getLogger("io.nexs.postgres.copy");

    /** How often a long load is logged. */
    private static final Duration LOG_INTERVAL = Duration.ofSeconds(5);

    private final SqlIdentifier table;

    private final CopyOptions options;

    private final long expected;

    private final long start = System.nanoTime();

    private final long interval;

    private long nextReport;

    private long nextLog;

    private final AtomicLong bytes = new AtomicLong();

    private volatile long rows;

    private final AtomicLong committed = new AtomicLong();

    LoadProgress(SqlIdentifier table, CopyOptions options, long expected) {
        this.table = table;
        this.options = options;
        this.expected = expected;
        this.interval = options.progressInterval().toNanos();
        this.nextReport = this.start + this.interval;
        this.nextLog = this.start + LOG_INTERVAL.toNanos();
    }

    void sent(long count) {
        this.bytes.addAndGet(count);
    }

    void rowsRead(long rows) {
        this.rows = rows;
    }

    void committed(long rows) {
        this.committed.accumulateAndGet(rows, Math::max);
    }

    long bytes() {
        return this.bytes.get();
    }

    Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - this.start);
    }

    void tick() {
        long now = System.nanoTime();
        if (now >= this.nextReport && this.options.progressListener() != null) {
            this.nextReport = now + this.interval;
            this.options.progressListener().onProgress(snapshot(now, false));
        }
        if (now >= this.nextLog) {
            this.nextLog = now + LOG_INTERVAL.toNanos();
            if (logger.isInfoEnabled()) {
                log(snapshot(now, false), "COPY into {}: {} rows read, {} committed, {} MB sent, {} rows/s{}");
            }
        }
    }

    void finish() {
        long now = System.nanoTime();
        CopyProgress last = snapshot(now, true);
        if (this.options.progressListener() != null) {
            this.options.progressListener().onProgress(last);
        }
        if (now - this.start >= LOG_INTERVAL.toNanos() && logger.isInfoEnabled()) {
            log(last, "COPY into {} done: {} rows read, {} committed, {} MB sent, {} rows/s{}");
        }
    }

    private void log(CopyProgress progress, String format) {
        String eta = progress.eta().map((left) -> ", " + left.toSeconds() + " s left").orElse("");
        logger.info(format, this.table, progress.rows(), this.committed.get(),
                String.format("%.1f", progress.bytes() / 1048576.0), Math.round(progress.rowsPerSecond()), eta);
    }

    private CopyProgress snapshot(long now, boolean done) {
        long read = done ? Math.max(this.rows, this.committed.get()) : this.rows;
        return new CopyProgress(read, this.bytes.get(), Duration.ofNanos(now - this.start), this.expected, done);
    }

}
