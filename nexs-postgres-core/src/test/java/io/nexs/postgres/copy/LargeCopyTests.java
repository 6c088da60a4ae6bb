package io.nexs.postgres.copy;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.stream.LongStream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams ten million rows in with binary COPY in a JVM whose heap is capped (the build runs this class with
 * {@code -Xmx64m}, half of the 128 MB the load is promised to fit in): the rows as objects would take gigabytes,
 * so only a load that encodes and sends as it reads gets through.
 */
@Tag("small-heap")
@ExtendWith(PostgresExtension.class)
class LargeCopyTests {

    private static final long MAX_HEAP = 128L * 1024 * 1024;

    private static final long ROWS = 10_000_000;

    record Reading(long id, String label, Instant takenAt, BigDecimal amount) {
    }

    @Test
    void tenMillionRowsStreamInWithinASmallHeap(PostgresNode node) {
        assertThat(Runtime.getRuntime().maxMemory()).as("this test must run with a heap of 128 MB or less")
            .isLessThanOrEqualTo(MAX_HEAP);
        try (HikariDataSource dataSource = TestDataSources.pooled(node, 2)) {
            PostgresTemplate postgres = new PostgresTemplate(dataSource);
            postgres.exec("create unlogged table readings (id bigint, label text, taken_at timestamptz, "
                    + "amount numeric(12,2))");
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            Instant base = Instant.parse("2024-01-01T00:00:00Z");
            CopyResult result = postgres.copy().into("readings").columns("id", "label", "taken_at", "amount")
                    .rows(LongStream.rangeClosed(1, ROWS)
                        .mapToObj((id) -> new Reading(id, "reading-" + id, base.plusSeconds(id),
                                BigDecimal.valueOf(id % 100_000, 2))));
            long peak = ManagementFactory.getMemoryPoolMXBeans()
                .stream()
                .filter((pool) -> pool.getType() == MemoryType.HEAP)
                .mapToLong((pool) -> pool.getPeakUsage().getUsed())
                .sum();
            System.out.printf("Copied %,d rows in %s (%,.0f rows/s); peak heap %.1f MB of %.1f MB%n", result.rows(),
                    result.duration(), result.rowsPerSecond(), peak / 1048576.0,
                    Runtime.getRuntime().maxMemory() / 1048576.0);
            assertThat(result.rows()).isEqualTo(ROWS);
            assertThat(postgres.queryCount("select count(*) from readings")).isEqualTo(ROWS);
            assertThat(postgres.queryCount("select sum(id) from readings")).isEqualTo(ROWS * (ROWS + 1) / 2);
            assertThat(postgres.queryCount("select count(*) from readings where label <> 'reading-' || id "
                    + "or taken_at <> timestamptz '2024-01-01 00:00:00+00' + id * interval '1 second' "
                    + "or amount * 100 <> id % 100000")).isZero();
            assertThat(peak).isLessThan(MAX_HEAP);
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        }
    }

}
