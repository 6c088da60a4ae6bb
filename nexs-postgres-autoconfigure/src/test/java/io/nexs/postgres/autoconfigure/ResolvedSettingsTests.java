package io.nexs.postgres.autoconfigure;

import java.time.Duration;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.SslMode;
import org.junit.jupiter.api.Test;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;

import static org.assertj.core.api.Assertions.assertThat;

class ResolvedSettingsTests {

    private final NexsPostgresProperties properties = new NexsPostgresProperties();

    @Test
    void aUrlGivesTheNodesAddressAndIsPassedOnUnchanged() {
        this.properties.setUrl("jdbc:postgresql://db.example.com:6432/orders?prepareThreshold=0");
        ResolvedSettings settings = ResolvedSettings.resolve(this.properties, null, null);
        assertThat(settings.connection().address()).hasToString("db.example.com:6432");
        assertThat(settings.connection().jdbcUrl())
            .isEqualTo("jdbc:postgresql://db.example.com:6432/orders?prepareThreshold=0");
    }

    @Test
    void aUrlWithoutHostOrPortUsesPgJdbcDefaults() {
        this.properties.setUrl("jdbc:postgresql:orders");
        assertThat(ResolvedSettings.resolve(this.properties, null, null).connection().address())
            .hasToString("localhost:5432");
    }

    @Test
    void anIpv6UrlKeepsOnePairOfBrackets() {
        this.properties.setUrl("jdbc:postgresql://[::1]:5433/orders");
        assertThat(ResolvedSettings.resolve(this.properties, null, null).connection().address())
            .hasToString("[::1]:5433");
    }

    @Test
    void hostPortAndDatabaseBuildTheUrl() {
        this.properties.setHost("db");
        this.properties.setPort(6543);
        this.properties.setDatabase("order book");
        ResolvedSettings settings = ResolvedSettings.resolve(this.properties, null, null);
        assertThat(settings.connection().jdbcUrl()).isEqualTo("jdbc:postgresql://db:6543/order+book");
    }

    @Test
    void driverPropertiesCarryTimeoutsInWholeSecondsTheApplicationNameAndTls() {
        this.properties.setHost("db");
        this.properties.setConnectTimeout(Duration.ofMillis(1500));
        this.properties.setSocketTimeout(Duration.ofMillis(200));
        this.properties.setSslMode(SslMode.VERIFY_FULL);
        ResolvedSettings settings = ResolvedSettings.resolve(this.properties, null, "orders");
        assertThat(settings.connection().driverProperties()).containsEntry("connectTimeout", "1")
            .containsEntry("loginTimeout", "1")
            .containsEntry("socketTimeout", "1")
            .containsEntry("ApplicationName", "orders")
            .containsEntry("sslmode", "verify-full");
    }

    @Test
    void theApplicationNameFallsBackToTheLibrarysName() {
        this.properties.setHost("db");
        assertThat(ResolvedSettings.resolve(this.properties, null, null).connection().driverProperties())
            .containsEntry("ApplicationName", "nexs-postgres")
            .doesNotContainKey("sslmode");
    }

    @Test
    void connectionDetailsReplaceUrlUserAndPassword() {
        this.properties.setUrl("jdbc:postgresql://ignored:5432/app");
        this.properties.setUsername("ignored");
        this.properties.setPassword("ignored");
        JdbcConnectionDetails details = new JdbcConnectionDetails() {

            @Override
            public String getUsername() {
                return "svc";
            }

            @Override
            public String getPassword() {
                return "from-details";
            }

            @Override
            public String getJdbcUrl() {
                return "jdbc:postgresql://container:32768/test";
            }

        };
        ResolvedSettings settings = ResolvedSettings.resolve(this.properties, details, null);
        assertThat(settings.connection().address()).hasToString("container:32768");
        assertThat(settings.connection().username()).isEqualTo("svc");
        assertThat(settings.connection().password()).isEqualTo("from-details");
        assertThat(settings.connection().toString()).doesNotContain("from-details");
    }

    @Test
    void minIdleDefaultsToMaxSize() {
        this.properties.setHost("db");
        this.properties.getPool().setMaxSize(7);
        assertThat(ResolvedSettings.resolve(this.properties, null, null).pool().minIdle()).isEqualTo(7);
    }

}
