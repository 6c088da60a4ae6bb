package io.nexs.postgres.autoconfigure;

import org.junit.jupiter.api.Test;
import org.postgresql.util.DriverInfo;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The build ships a PgJDBC without CVE-2026-54291 ({@code channelBinding=require} silently downgraded in 42.7.4 to
 * 42.7.11): the parent pins a newer driver than the Spring Boot BOM manages, and this fails if the pin goes.
 */
class DriverVersionTests {

    @Test
    void theDriverIsNotOneThatCanDowngradeChannelBinding() {
        assertThat(new int[] { DriverInfo.MAJOR_VERSION, DriverInfo.MINOR_VERSION, DriverInfo.PATCH_VERSION })
            .as("PgJDBC %s", DriverInfo.DRIVER_VERSION)
            .satisfies((version) -> assertThat(version[0] > 42 || (version[0] == 42
                    && (version[1] > 7 || (version[1] == 7 && version[2] >= 12)))).isTrue());
    }

}
