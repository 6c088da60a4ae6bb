package io.nexs.postgres.autoconfigure.isolated;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.nexs.postgres.PostgresOperations;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.util.ClassUtils;

/**
 * An application with every auto-configuration of its class path, run by {@link OptionalLibrariesTests} inside a
 * class loader that lacks some libraries. It is loaded by that class loader, so everything it reaches resolves
 * there; it answers with JDK types only, which both sides share.
 */
public final class IsolatedApplication {

    private IsolatedApplication() {
    }

    /**
     * Starts the application, uses it, closes it.
     * @param properties the application's properties
     * @param autoConfigurations the auto-configurations whose application is reported
     * @param markers classes whose presence is reported
     * @return {@code failure} (a stack trace) or {@code applied} (the auto-configurations that applied),
     * {@code answer} (a query through {@code JdbcTemplate}) and {@code mapped} (a row through the query API); and
     * {@code present}, the markers found
     */
    public static Map<String, Object> run(Map<String, Object> properties, List<String> autoConfigurations,
            List<String> markers) {
        Map<String, Object> result = new LinkedHashMap<>();
        ClassLoader classLoader = IsolatedApplication.class.getClassLoader();
        result.put("present", markers.stream().filter((name) -> ClassUtils.isPresent(name, classLoader)).toList());
        SpringApplication application = new SpringApplication(Everything.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.setBannerMode(Banner.Mode.OFF);
        application.setRegisterShutdownHook(false);
        application.setDefaultProperties(properties);
        try (ConfigurableApplicationContext context = application.run()) {
            List<String> applied = new ArrayList<>();
            for (String autoConfiguration : autoConfigurations) {
                if (context.getBeanNamesForType(ClassUtils.resolveClassName(autoConfiguration, classLoader)).length > 0) {
                    applied.add(autoConfiguration);
                }
            }
            result.put("applied", applied);
            result.put("answer", context.getBean(JdbcTemplate.class).queryForObject("select 41 + 1", Integer.class));
            result.put("mapped", context.getBean(PostgresOperations.class)
                .queryOne(Item.class, "select 7 as id, 'seven' as name")
                .map(Item::toString)
                .orElse(null));
        }
        catch (Throwable ex) {
            StringWriter trace = new StringWriter();
            ex.printStackTrace(new PrintWriter(trace));
            result.put("failure", trace.toString());
        }
        return result;
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Everything {

    }

    /** A row of the query API. */
    public record Item(long id, String name) {
    }

}
