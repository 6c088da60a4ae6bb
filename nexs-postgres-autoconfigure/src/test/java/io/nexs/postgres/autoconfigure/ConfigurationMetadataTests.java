package io.nexs.postgres.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.configurationmetadata.ConfigurationMetadataProperty;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepository;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepositoryJsonBuilder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metadata the configuration processor generates is what IDEs show: every property needs a description,
 * and no two properties may share one (a sign of copy-paste).
 */
class ConfigurationMetadataTests {

    @Test
    void everyPropertyHasItsOwnDescription() throws IOException {
        ConfigurationMetadataRepository repository;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata").isNotNull();
            repository = ConfigurationMetadataRepositoryJsonBuilder.create(in).build();
        }
        Map<String, ConfigurationMetadataProperty> properties = repository.getAllProperties();
        assertThat(properties).containsKeys("nexs.postgres.enabled", "nexs.postgres.url", "nexs.postgres.password",
                "nexs.postgres.ssl-mode", "nexs.postgres.pool.min-idle", "nexs.postgres.pool.max-size",
                "nexs.postgres.pool.warm-up", "nexs.postgres.pool.shutdown-timeout", "nexs.postgres.connect-timeout");
        Collection<ConfigurationMetadataProperty> all = properties.values();
        assertThat(all).allSatisfy((property) -> assertThat(property.getDescription())
            .as("description of %s", property.getId())
            .isNotBlank());
        assertThat(all).extracting(ConfigurationMetadataProperty::getDescription).doesNotHaveDuplicates();
        assertThat(properties.get("nexs.postgres.ssl-mode").getType()).endsWith("SslMode");
        assertThat(properties).containsKey("management.health.nexs-postgres.enabled");
        assertThat(properties).containsKeys("nexs.postgres.nodes", "nexs.postgres.replicas.read-preference",
                "nexs.postgres.replicas.load-balancing", "nexs.postgres.replicas.max-lag",
                "nexs.postgres.replicas.latency-window", "nexs.postgres.failover.enabled",
                "nexs.postgres.failover.health-check-interval", "nexs.postgres.failover.health-check-timeout",
                "nexs.postgres.failover.failure-threshold", "nexs.postgres.failover.write-wait-timeout",
                "nexs.postgres.failover.probe-interval");
        assertThat(properties.get("nexs.postgres.nodes").getType()).startsWith("java.util.List<")
            .endsWith("Node>");
        assertThat(properties.keySet()).as("a node's settings are described on nexs.postgres.nodes")
            .noneMatch((name) -> name.startsWith("nexs.postgres.nodes."));
        assertThat(properties.get("nexs.postgres.replicas.read-preference").getDefaultValue())
            .isEqualTo("secondary-preferred");
        assertThat(properties.get("nexs.postgres.replicas.load-balancing").getDefaultValue())
            .isEqualTo("round-robin");
        assertThat(properties.get("nexs.postgres.replicas.max-lag").getDefaultValue()).isNull();
        assertThat(properties.get("nexs.postgres.replicas.latency-window").getDefaultValue()).isEqualTo("15ms");
        assertThat(properties.get("nexs.postgres.failover.enabled").getDefaultValue()).isEqualTo(true);
        assertThat(properties.get("nexs.postgres.failover.health-check-interval").getDefaultValue()).isEqualTo("500ms");
        assertThat(properties.get("nexs.postgres.failover.health-check-timeout").getDefaultValue()).isEqualTo("700ms");
        assertThat(properties.get("nexs.postgres.failover.failure-threshold").getDefaultValue()).isEqualTo(2);
        assertThat(properties.get("nexs.postgres.failover.write-wait-timeout").getDefaultValue()).isEqualTo("15s");
        assertThat(properties.get("nexs.postgres.failover.probe-interval").getDefaultValue()).isEqualTo("25ms");
    }

}
