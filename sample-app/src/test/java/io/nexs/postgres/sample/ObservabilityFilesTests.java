package io.nexs.postgres.sample;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Checks the Prometheus alerting rules and the Grafana dashboard under {@code observability/}: the rules with
 * {@code promtool}, the dashboard's structure, and that both use only the metrics the application exports.
 */
class ObservabilityFilesTests {

    /** Maven runs the tests in the module's directory. */
    static final Path ALERTS = Path.of("observability", "prometheus-alerts.yml");

    static final Path DASHBOARD = Path.of("observability", "grafana-dashboard.json");

    /** Every metric the alerts and the dashboard may use, with the names Prometheus gives them. */
    static final Set<String> EXPORTED_METRICS = Set.of("db_query_duration_seconds_bucket",
            "db_query_duration_seconds_count", "db_query_duration_seconds_sum", "db_errors_total",
            "db_retries_total", "db_failovers_total", "db_node_up", "db_node_primary", "db_replica_lag_seconds",
            "db_transactions_total", "db_hook_failures_total", "db_copy_rows_total", "db_copy_bytes_total",
            "db_copy_buffer_bytes",
            "db_connections_active", "db_connections_idle", "db_connections_pending", "db_connections_max",
            "db_connection_leaks_total");

    private static final Pattern METRIC_NAME = Pattern.compile("(?<![A-Za-z0-9_:])db_[a-z_]+");

    private static final long PROMTOOL_TIMEOUT_SECONDS = 60;

    @Test
    void promtoolAcceptsTheAlertingRules() throws Exception {
        assertThat(ALERTS).isRegularFile();
        Promtool checked = promtool(null, "check", "rules", ALERTS.toString());
        assertThat(checked.exitCode()).as("exit code of promtool check rules, which printed:%n%s", checked.output())
            .isZero();
    }

    /**
     * What promtool said.
     * @param exitCode 0 when all is well; for {@code check metrics}, 3 for lint findings and 1 for text that does
     * not parse
     * @param output what it printed
     */
    record Promtool(int exitCode, String output) {
    }

    /**
     * Runs promtool. Without promtool on the PATH the calling test is skipped, or fails when {@code CI=true}.
     * @param input what promtool reads on its standard input, or {@code null}
     * @param arguments its arguments
     * @return its exit code and what it printed
     */
    static Promtool promtool(@Nullable String input, String... arguments) throws Exception {
        Path promtool = findOnPath("promtool");
        if (promtool == null && "true".equals(System.getenv("CI"))) {
            fail("promtool is not on the PATH; .ci/run installs it (Debian's prometheus package) before the build");
        }
        assumeTrue(promtool != null, "promtool is not on the PATH, so the observability checks that need it do "
                + "not run; on Debian or Ubuntu, apt-get install prometheus provides it");
        Path output = Files.createTempFile("promtool", ".out");
        try {
            List<String> command = new ArrayList<>();
            command.add(promtool.toString());
            command.addAll(List.of(arguments));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
            try (var stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            boolean finished = process.waitFor(PROMTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            String printed = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(finished).as("promtool finished within %d seconds; it printed:%n%s", PROMTOOL_TIMEOUT_SECONDS,
                    printed)
                .isTrue();
            return new Promtool(process.exitValue(), printed);
        }
        finally {
            Files.deleteIfExists(output);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasADelayASeverityAndAnnotations() {
        Map<String, Object> rules = readYaml(ALERTS);
        List<Map<String, Object>> groups = (List<Map<String, Object>>) rules.get("groups");
        assertThat(groups).extracting((group) -> group.get("name")).containsExactly("nexs-postgres");
        List<Map<String, Object>> alerts = (List<Map<String, Object>>) groups.get(0).get("rules");
        assertThat(alerts).isNotEmpty().allSatisfy((alert) -> {
            assertThat(alert).as("rule %s", alert.get("alert")).containsKeys("alert", "expr", "for");
            assertThat((Map<String, Object>) alert.get("labels")).as("labels of %s", alert.get("alert"))
                .containsKey("severity");
            assertThat((Map<String, Object>) alert.get("annotations")).as("annotations of %s", alert.get("alert"))
                .containsKeys("summary", "description");
        });
    }

    @Test
    void everyDashboardPanelQueriesPrometheus() {
        List<JsonNode> panels = dataPanels(readJson(DASHBOARD));
        assertThat(panels).isNotEmpty().allSatisfy((panel) -> {
            List<String> expressions = new ArrayList<>();
            panel.path("targets").values().forEach((target) -> expressions.add(target.path("expr").asString("")));
            assertThat(expressions).as("expressions of panel \"%s\"", panel.path("title").asString(""))
                .anySatisfy((expr) -> assertThat(expr).isNotBlank());
        });
    }

    @Test
    void dashboardTakesItsDatasourceAsAnInputAndFiltersByNode() {
        JsonNode dashboard = readJson(DASHBOARD);
        assertThat(dashboard.path("__inputs").values()).anySatisfy((input) -> {
            assertThat(input.path("name").asString("")).isEqualTo("DS_PROMETHEUS");
            assertThat(input.path("pluginId").asString("")).isEqualTo("prometheus");
        });
        assertThat(dashboard.path("templating").path("list").values()).anySatisfy((variable) -> {
            assertThat(variable.path("name").asString("")).isEqualTo("node");
            assertThat(variableQuery(variable)).isEqualTo("label_values(db_connections_max, node)");
        });
    }

    @Test
    void alertsAndDashboardUseOnlyExportedMetrics() {
        assertThat(metricNamesUsed()).isNotEmpty().isSubsetOf(EXPORTED_METRICS);
    }

    /**
     * Every metric name ({@code db_...}, suffixes such as {@code _bucket} kept as written) in the alerting rules'
     * expressions and in the dashboard's query expressions and template variable queries.
     * @return the names, sorted
     */
    static Set<String> metricNamesUsed() {
        Set<String> names = new TreeSet<>();
        List<String> queries = new ArrayList<>();
        collectYamlValues(readYaml(ALERTS), "expr", queries);
        JsonNode dashboard = readJson(DASHBOARD);
        dashboard.findValues("expr").forEach((expr) -> queries.add(expr.asString("")));
        dashboard.path("templating").path("list").values().forEach((variable) -> queries.add(variableQuery(variable)));
        for (String query : queries) {
            Matcher matcher = METRIC_NAME.matcher(query);
            while (matcher.find()) {
                names.add(matcher.group());
            }
        }
        return names;
    }

    /** The panels that show data: those at the top level and those inside rows, but not the rows themselves. */
    private static List<JsonNode> dataPanels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels").values()) {
            if ("row".equals(panel.path("type").asString(""))) {
                panels.addAll(panel.path("panels").values());
            }
            else {
                panels.add(panel);
            }
        }
        return panels;
    }

    /** Grafana stores a variable's query either as a string or as an object with a {@code query} field. */
    private static String variableQuery(JsonNode variable) {
        JsonNode query = variable.path("query");
        return query.isObject() ? query.path("query").asString("") : query.asString("");
    }

    private static void collectYamlValues(Object node, String key, List<String> values) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((name, value) -> {
                if (key.equals(name) && value != null) {
                    values.add(value.toString());
                }
                else {
                    collectYamlValues(value, key, values);
                }
            });
        }
        else if (node instanceof List<?> list) {
            list.forEach((element) -> collectYamlValues(element, key, values));
        }
    }

    private static Map<String, Object> readYaml(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            return new Yaml().load(reader);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static JsonNode readJson(Path file) {
        return JsonMapper.shared().readTree(file);
    }

    private static @Nullable Path findOnPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String directory : path.split(File.pathSeparator)) {
            if (!directory.isEmpty()) {
                Path candidate = Path.of(directory, command);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

}
