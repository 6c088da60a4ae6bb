package io.nexs.postgres.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * What an application sets under {@code spring.datasource.*}, the properties of Spring Boot's own
 * {@code DataSource}, which backs off for the routed one. The URL and the credentials are used or refused by
 * {@link PostgresSettings}; every other key has no effect, and is only named (its value is never read), so that
 * start-up can say so.
 *
 * @param url {@code spring.datasource.url}, or {@code null}
 * @param username {@code spring.datasource.username}, or {@code null}
 * @param password {@code spring.datasource.password}, or {@code null}
 * @param unusedKeys the other keys set, each with the {@code nexs.postgres.*} setting that takes its place, if any
 */
record SpringDataSourceProperties(@Nullable String url, @Nullable String username, @Nullable String password,
        List<UnusedKey> unusedKeys) {

    static final String URL = "spring.datasource.url";

    static final String USERNAME = "spring.datasource.username";

    static final String PASSWORD = "spring.datasource.password";

    /** None set: what a program that builds the settings without an environment sees. */
    static final SpringDataSourceProperties NONE = new SpringDataSourceProperties(null, null, null, List.of());

    private static final ConfigurationPropertyName ROOT = ConfigurationPropertyName.of("spring.datasource");

    private static final ConfigurationPropertyName HIKARI = ConfigurationPropertyName.of("spring.datasource.hikari");

    private static final String CUSTOMIZER = "a NodePoolCustomizer bean";

    /**
     * Keys read here, and keys that Spring Boot itself stopped reading in 2.5 (it moved them to
     * {@code spring.sql.init.*} and reports them with its properties migrator). Boot's own test database puts
     * {@code spring.datasource.schema-username} in the environment, so naming those would mislead every test.
     */
    private static final List<ConfigurationPropertyName> NOT_LISTED = names(URL, USERNAME, PASSWORD,
            "spring.datasource.continue-on-error", "spring.datasource.data", "spring.datasource.data-username",
            "spring.datasource.data-password", "spring.datasource.initialization-mode",
            "spring.datasource.jmx-enabled", "spring.datasource.platform", "spring.datasource.schema",
            "spring.datasource.schema-username", "spring.datasource.schema-password", "spring.datasource.separator",
            "spring.datasource.sql-script-encoding");

    /** HikariCP settings of Spring Boot's pool that have a {@code nexs.postgres.*} counterpart. */
    private static final Map<String, String> COUNTERPARTS = Map.ofEntries(
            Map.entry("spring.datasource.hikari.jdbc-url", "nexs.postgres.url"),
            Map.entry("spring.datasource.hikari.username", "nexs.postgres.username"),
            Map.entry("spring.datasource.hikari.password", "nexs.postgres.password"),
            Map.entry("spring.datasource.hikari.maximum-pool-size", "nexs.postgres.pool.max-size"),
            Map.entry("spring.datasource.hikari.minimum-idle", "nexs.postgres.pool.min-idle"),
            Map.entry("spring.datasource.hikari.connection-timeout", "nexs.postgres.pool.connection-timeout"),
            Map.entry("spring.datasource.hikari.idle-timeout", "nexs.postgres.pool.idle-timeout"),
            Map.entry("spring.datasource.hikari.max-lifetime", "nexs.postgres.pool.max-lifetime"),
            Map.entry("spring.datasource.hikari.keepalive-time", "nexs.postgres.pool.keepalive-time"),
            Map.entry("spring.datasource.hikari.validation-timeout", "nexs.postgres.pool.validation-timeout"),
            Map.entry("spring.datasource.hikari.leak-detection-threshold",
                    "nexs.postgres.pool.leak-detection-threshold"),
            Map.entry("spring.datasource.hikari.initialization-fail-timeout", "nexs.postgres.pool.fail-fast"));

    SpringDataSourceProperties {
        unusedKeys = List.copyOf(unusedKeys);
    }

    /**
     * Reads the URL and credentials with Spring Boot's relaxed binding, and the names of the other keys from every
     * property source that can list its names.
     * @param environment the application's environment
     * @return what is set
     */
    static SpringDataSourceProperties of(Environment environment) {
        Binder binder = Binder.get(environment);
        TreeSet<ConfigurationPropertyName> others = new TreeSet<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (source instanceof IterableConfigurationPropertySource iterable) {
                iterable.filter(ROOT::isAncestorOf).stream().filter((name) -> !isNotListed(name)).forEach(others::add);
            }
        }
        List<UnusedKey> unused = new ArrayList<>(others.size());
        for (ConfigurationPropertyName name : others) {
            unused.add(unusedKey(name));
        }
        return new SpringDataSourceProperties(binder.bind(URL, String.class).orElse(null),
                binder.bind(USERNAME, String.class).orElse(null), binder.bind(PASSWORD, String.class).orElse(null),
                unused);
    }

    private static boolean isNotListed(ConfigurationPropertyName name) {
        return NOT_LISTED.stream().anyMatch((listed) -> listed.equals(name) || listed.isAncestorOf(name));
    }

    private static UnusedKey unusedKey(ConfigurationPropertyName name) {
        for (Map.Entry<String, String> counterpart : COUNTERPARTS.entrySet()) {
            if (ConfigurationPropertyName.of(counterpart.getKey()).equals(name)) {
                // the canonical form: a key written in camel case reads as one lower-case word otherwise
                return new UnusedKey(counterpart.getKey(), counterpart.getValue());
            }
        }
        return new UnusedKey(name.toString(), HIKARI.isAncestorOf(name) ? CUSTOMIZER : null);
    }

    /**
     * The warning about the keys that have no effect.
     * @return one line naming each key and what to use instead, or {@code null} when there is none
     */
    @Nullable String unusedKeysWarning() {
        if (this.unusedKeys.isEmpty()) {
            return null;
        }
        StringBuilder keys = new StringBuilder();
        for (UnusedKey key : this.unusedKeys) {
            if (!keys.isEmpty()) {
                keys.append(", ");
            }
            keys.append(key.name());
            if (key.instead() != null) {
                keys.append(" (use ").append(key.instead()).append(')');
            }
        }
        return "nexs-postgres opens its own HikariCP pools in place of Spring Boot's DataSource, so these "
                + "spring.datasource properties have no effect: " + keys + ". Move them to nexs.postgres.* where a "
                + "counterpart is named, or remove them.";
    }

    private static List<ConfigurationPropertyName> names(String... names) {
        return List.of(names).stream().map(ConfigurationPropertyName::of).toList();
    }

    /**
     * A {@code spring.datasource} key that nothing reads next to the routed {@code DataSource}.
     *
     * @param name the key, in canonical form
     * @param instead the {@code nexs.postgres.*} property (or bean) to use instead, or {@code null} when there is
     * none
     */
    record UnusedKey(String name, @Nullable String instead) {
    }

}
