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
    }

}
