package io.nexs.postgres.autoconfigure.isolated;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every auto-configuration of nexs-postgres with each optional library really missing: an application is started
 * in a class loader built from the test class path without that library's jars, so a class that mentions the
 * library in a signature fails there as it would in a user's application. (Spring Boot's
 * {@code FilteredClassLoader} hides classes from conditions only: a class loaded through its parent still finds
 * the hidden library, and an application without Micrometer failed at start-up while every test passed.)
 *
 * <p>The cases are made from the {@code AutoConfiguration.imports} list: an auto-configuration added there without an
 * entry in {@link #NEEDS} fails {@link #everyAutoConfigurationSaysWhichLibrariesItNeeds()}.
 */
@ExtendWith(PostgresExtension.class)
class OptionalLibrariesTests {

    private static final String IMPORTS = "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports";

    private static final String PACKAGE = "io.nexs.postgres.autoconfigure.";

    /** The optional libraries, by the jar names that bring them, and a class each that proves it is there. */
    private static final Map<String, Library> LIBRARIES = libraries();

    /**
     * The optional libraries each auto-configuration needs to apply; it must apply whenever they are there, whatever
     * else is missing, and back off when one of them is not.
     */
    private static final Map<String, Set<String>> NEEDS = Map.of(
            PACKAGE + "NexsPostgresAutoConfiguration", Set.of(),
            PACKAGE + "NexsPostgresTemplateAutoConfiguration", Set.of(),
            PACKAGE + "NexsPostgresTransactionManagerAutoConfiguration", Set.of(),
            PACKAGE + "health.NexsPostgresHealthContributorAutoConfiguration", Set.of("actuator"),
            PACKAGE + "metrics.NexsPostgresMetricsAutoConfiguration", Set.of("micrometer"),
            PACKAGE + "metrics.NexsPostgresObservationAutoConfiguration", Set.of("micrometer"),
            PACKAGE + "endpoint.NexsPostgresEndpointAutoConfiguration", Set.of("actuator"),
            PACKAGE + "safety.NexsPostgresSafetyAutoConfiguration", Set.of(),
            PACKAGE + "web.NexsPostgresWebMvcAutoConfiguration", Set.of("webmvc"));

    private static PostgresNode node;

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void everyAutoConfigurationSaysWhichLibrariesItNeeds() throws IOException {
        assertThat(NEEDS.keySet()).containsExactlyInAnyOrderElementsOf(autoConfigurations());
    }

    @Test
    void withEveryLibraryPresentEveryAutoConfigurationApplies() throws Exception {
        Map<String, Object> result = runWithout(null);
        assertThat(result.get("failure")).as("start-up failure").isNull();
        assertThat(result.get("present")).as("the libraries hidden below are there to begin with")
            .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
            .containsExactlyInAnyOrderElementsOf(LIBRARIES.values().stream().map(Library::marker).toList());
        assertThat(result.get("applied")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
            .containsExactlyInAnyOrderElementsOf(NEEDS.keySet());
    }

    @TestFactory
    Stream<DynamicNode> withALibraryMissing() throws IOException {
        List<String> autoConfigurations = autoConfigurations();
        return LIBRARIES.keySet().stream().map((library) -> {
            Result result = new Result(library);
            List<DynamicNode> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("the application starts and serves queries", () -> {
                Map<String, Object> outcome = result.get();
                assertThat(outcome.get("present")).as("what is left of the optional libraries")
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                    .doesNotContain(LIBRARIES.get(library).marker());
                assertThat(outcome.get("failure")).as("start-up failure").isNull();
                assertThat(outcome.get("answer")).isEqualTo(42);
                assertThat(outcome.get("mapped")).isEqualTo("Item[id=7, name=seven]");
            }));
            for (String autoConfiguration : autoConfigurations) {
                String name = autoConfiguration.substring(autoConfiguration.lastIndexOf('.') + 1);
                tests.add(DynamicTest.dynamicTest(name + " applies exactly when what it needs is there", () -> {
                    Map<String, Object> outcome = result.get();
                    assertThat(outcome.get("failure")).as("start-up failure").isNull();
                    List<?> present = (List<?>) outcome.get("present");
                    boolean expected = NEEDS.getOrDefault(autoConfiguration, Set.of())
                        .stream()
                        .allMatch((needed) -> present.contains(LIBRARIES.get(needed).marker()));
                    assertThat((List<?>) outcome.get("applied")).as(autoConfiguration)
                        .matches((applied) -> applied.contains(autoConfiguration) == expected,
                                expected ? "contains it" : "does not contain it");
                }));
            }
            return DynamicContainer.dynamicContainer("without " + library, tests);
        });
    }

    private static List<String> autoConfigurations() throws IOException {
        try (InputStream imports = NexsPostgresAutoConfiguration.class.getClassLoader()
            .getResourceAsStream(IMPORTS)) {
            assertThat(imports).as(IMPORTS).isNotNull();
            return new String(imports.readAllBytes(), StandardCharsets.UTF_8).lines()
                .map(String::trim)
                .filter((line) -> !line.isEmpty() && !line.startsWith("#"))
                .toList();
        }
    }

    /**
     * Runs the application in a class loader of the test class path less the jars of a library.
     * @param library the library to leave out, or {@code null} for none
     */
    private static Map<String, Object> runWithout(String library) throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : testClassPath()) {
            if (library == null || !LIBRARIES.get(library).bringsIt(entry)) {
                urls.add(url(entry));
            }
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("nexs.postgres.url", node.jdbcUrl());
        properties.put("nexs.postgres.username", node.username());
        properties.put("nexs.postgres.pool.max-size", "2");
        properties.put("spring.application.name", "optional-libraries");
        properties.put("management.endpoints.web.exposure.include", "*");
        properties.put("logging.level.root", "warn");
        properties.put("spring.jmx.enabled", "false");
        // the Spring MVC auto-configuration applies only then
        properties.put("nexs.postgres.replicas.consistency", "read-your-writes");
        List<String> markers = LIBRARIES.values().stream().map(Library::marker).toList();
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        // Spring Boot's logging system writes system properties (the application name in the log pattern, among
        // others) that would otherwise outlive the isolated application and show in the next tests' logs
        Properties systemProperties = (Properties) System.getProperties().clone();
        try (URLClassLoader isolated = new URLClassLoader("without-" + library, urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            Thread.currentThread().setContextClassLoader(isolated);
            Class<?> application = isolated.loadClass(IsolatedApplication.class.getName());
            assertThat(application.getClassLoader()).isSameAs(isolated);
            Method run = application.getMethod("run", Map.class, List.class, List.class);
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) run.invoke(null, properties, autoConfigurations(),
                    markers);
            return result;
        }
        finally {
            Thread.currentThread().setContextClassLoader(previous);
            System.setProperties(systemProperties);
        }
    }

    private static List<String> testClassPath() {
        // Surefire starts the tests through a manifest-only jar and names the real class path here
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(classPath.split(File.pathSeparator)).filter((entry) -> !entry.isBlank()).toList();
    }

    private static URL url(String entry) {
        try {
            return new File(entry).toURI().toURL();
        }
        catch (MalformedURLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Map<String, Library> libraries() {
        Library actuator = new Library("org.springframework.boot.actuate.endpoint.annotation.Endpoint",
                "spring-boot-actuator", "spring-boot-starter-actuator", "spring-boot-health");
        Map<String, Library> libraries = new LinkedHashMap<>();
        // Actuator needs Micrometer: an application without Micrometer has no Actuator either
        libraries.put("micrometer", actuator.and("io.micrometer.core.instrument.MeterRegistry", "micrometer-",
                "spring-boot-micrometer-", "spring-boot-starter-micrometer-", "prometheus-metrics-", "HdrHistogram",
                "LatencyUtils"));
        libraries.put("actuator", actuator);
        libraries.put("prometheus", new Library("io.micrometer.prometheusmetrics.PrometheusMeterRegistry",
                "micrometer-registry-prometheus", "prometheus-metrics-"));
        // Jackson 3, which the JSON codec uses (Flyway brings Jackson 2 for itself); Actuator's endpoints need it,
        // so an application without it has no Actuator either
        libraries.put("jackson", actuator.and("tools.jackson.databind.json.JsonMapper", "/tools/jackson/",
                "spring-boot-jackson"));
        libraries.put("flyway", new Library("org.flywaydb.core.Flyway", "flyway-", "spring-boot-flyway"));
        libraries.put("webmvc", new Library("org.springframework.web.servlet.HandlerInterceptor", "spring-webmvc",
                "tomcat-embed-"));
        return libraries;
    }

    /**
     * An optional library.
     * @param marker a class it brings
     * @param patterns the names of the jars it brings start with one of these, or their paths contain one that
     * starts with a slash (a group's folder in the local repository)
     */
    private record Library(String marker, List<String> patterns) {

        Library(String marker, String... patterns) {
            this(marker, List.of(patterns));
        }

        boolean bringsIt(String classPathEntry) {
            String path = classPathEntry.replace(File.separatorChar, '/');
            String jar = path.substring(path.lastIndexOf('/') + 1);
            return this.patterns.stream()
                .anyMatch((pattern) -> pattern.startsWith("/") ? path.contains(pattern) : jar.startsWith(pattern));
        }

        Library and(String marker, String... prefixes) {
            List<String> all = new ArrayList<>(this.patterns);
            all.addAll(List.of(prefixes));
            return new Library(marker, all);
        }

    }

    /** The outcome of one application run, shared by the tests of one missing library. */
    private static final class Result {

        private final String library;

        private Map<String, Object> outcome;

        Result(String library) {
            this.library = library;
        }

        synchronized Map<String, Object> get() throws Exception {
            if (this.outcome == null) {
                this.outcome = runWithout(this.library);
            }
            return this.outcome;
        }

    }

}
