package io.nexs.postgres;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams a million rows in a JVM whose heap is capped at 64 MB (the build runs this class alone with
 * {@code -Xmx64m}); the rows as objects would take several times that, so only a cursor that fetches in chunks
 * gets through.
 */
@Tag("small-heap")
@ExtendWith(PostgresExtension.class)
class LargeStreamTests {

    private static final long MAX_HEAP = 64L * 1024 * 1024;

    private static final int ROWS = 1_000_000;

    record Reading(long id, String label, OffsetDateTime takenAt, BigDecimal amount) {
    }

    @Test
    void aMillionRowsStreamWithinASmallHeap(PostgresNode node) {
        assertThat(Runtime.getRuntime().maxMemory()).as("this test must run with -Xmx64m").isLessThanOrEqualTo(MAX_HEAP);
        try (HikariDataSource dataSource = TestDataSources.pooled(node, 2)) {
            PostgresTemplate postgres = new PostgresTemplate(dataSource);
            postgres.exec("create table readings as select g as id, md5(g::text) as label, "
                    + "timestamptz '2020-01-01' + g * interval '1 second' as taken_at, "
                    + "(g % 100000)::numeric(12,2) / 100 as amount from generate_series(1, " + ROWS + ") g");
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            long count = 0;
            long idSum = 0;
            try (Stream<Reading> readings = postgres.stream(Reading.class, "select * from readings order by id")) {
                for (Reading reading : (Iterable<Reading>) readings::iterator) {
                    count++;
                    idSum += reading.id();
                    assertThat(reading.label()).hasSize(32);
                }
            }
            assertThat(count).isEqualTo(ROWS);
            assertThat(idSum).isEqualTo((long) ROWS * (ROWS + 1) / 2);
            long peak = ManagementFactory.getMemoryPoolMXBeans()
                .stream()
                .filter((pool) -> pool.getType() == MemoryType.HEAP)
                .mapToLong((pool) -> pool.getPeakUsage().getUsed())
                .sum();
            System.out.printf("Streamed %,d rows; peak heap %.1f MB of %.1f MB%n", count, peak / 1048576.0,
                    Runtime.getRuntime().maxMemory() / 1048576.0);
            assertThat(peak).isLessThan(MAX_HEAP);
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isZero();
        }
    }

}
