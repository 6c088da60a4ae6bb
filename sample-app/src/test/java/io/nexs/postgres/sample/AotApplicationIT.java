package io.nexs.postgres.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import org.springframework.boot.json.JsonParser;
import org.springframework.boot.json.JsonParserFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Starts the packaged sample jar as a separate process with Spring AOT ({@code -Dspring.aot.enabled=true}), the
 * way it is run in production, on its embedded primary and replica; uses it over HTTP as a client would; stops
 * it with SIGTERM and checks that no PostgreSQL server it started outlives it. Run by failsafe after
 * {@code package}, which put the AOT-generated code into the jar.
 */
class AotApplicationIT {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);

    /** Children of a stopped postmaster notice its death on their own, within a moment. */
    private static final Duration SERVER_EXIT_TIMEOUT = Duration.ofSeconds(15);

    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private static final Pattern HTTP_PORT = Pattern.compile("Tomcat started on port (\\d+)");

    private static final Pattern NODE_STARTED = Pattern
        .compile("Started PostgreSQL \\S+ node (\\S+) on port (\\d+) \\(pid (\\d+)\\)");

    private static final Pattern EMBEDDED_NODES = Pattern
        .compile("primary at 127\\.0\\.0\\.1:(\\d+) with a streaming replica at 127\\.0\\.0\\.1:(\\d+)");

    private static final String METADATA = "META-INF/native-image/io.nexs/sample-app/"
            + "reachability-metadata.json";

    private static final String CONSISTENCY_HEADER = "Nexs-Consistency-Token";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private @Nullable String consistencyToken;

    private final JsonParser json = JsonParserFactory.getJsonParser();

    private final List<Process> launched = new ArrayList<>();

    private Path log;

    private int httpPort;

    @Test
    @SuppressWarnings("unchecked")
    void servesOrdersOnTheAotProcessedContextAndLeavesNoServerRunningAfterSigterm(TestInfo test) throws Exception {
        Process app = launch(test, "--server.port=0");
        awaitHttp(app);
        assertThat(log()).contains("Starting AOT-processed SampleApplication")
            .contains("Started SampleApplication");

        Map<String, Object> health = this.json.parseMap(get("/actuator/health").body());
        assertThat(health).containsEntry("status", "UP");
        assertThat((Map<String, Object>) ((Map<String, Object>) health.get("components")).get("nexsPostgres"))
            .containsEntry("status", "UP");

        OffsetDateTime before = OffsetDateTime.now().minusMinutes(1);
        HttpResponse<String> created = send(HttpRequest.newBuilder(uri("/api/orders"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"customer\":\"Ada\",\"total\":12.50}")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        // numeric(12, 2) read into the record's BigDecimal keeps its scale: 12.50, not 12.5
        assertThat(created.body()).contains("\"total\":12.50");
        Map<String, Object> order = this.json.parseMap(created.body());
        assertThat(order).containsOnlyKeys("id", "customer", "total", "createdAt")
            .containsEntry("customer", "Ada")
            .containsEntry("total", 12.5);
        assertThat(((Number) order.get("id")).longValue()).isPositive();
        assertThat(OffsetDateTime.parse((String) order.get("createdAt")))
            .isBetween(before, OffsetDateTime.now().plusMinutes(1));
        assertThat(created.headers().firstValue("Location")).hasValue("/api/orders/" + order.get("id"));
        assertThat(created.headers().firstValue(CONSISTENCY_HEADER)).as("the write's consistency token").isPresent();

        // read-only transactions: these run on the replica, through the same row mapping
        HttpResponse<String> read = get("/api/orders/" + order.get("id"));
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).contains("\"total\":12.50");
        assertThat(this.json.parseMap(read.body())).isEqualTo(order);
        HttpResponse<String> list = get("/api/orders");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(this.json.parseList(list.body())).as("a fresh embedded database holds only this order")
            .containsExactly(order);
        assertThat(get("/api/orders/" + order.get("id") + "1").statusCode()).isEqualTo(404);

        Matcher embedded = EMBEDDED_NODES.matcher(log());
        assertThat(embedded.find()).as("the embedded nodes are logged:%n%s", log()).isTrue();
        List<Integer> ports = List.of(Integer.parseInt(embedded.group(1)), Integer.parseInt(embedded.group(2)));
        List<ProcessHandle> servers = serverProcesses();
        assertThat(servers).as("the postmasters and their children").hasSizeGreaterThan(2);
        List<Path> nodeFolders = nodeFolders();
        assertThat(ports).allSatisfy((port) -> assertThat(accepts(port)).as("port %d", port).isTrue());
        assertThat(nodeFolders).hasSize(2).allSatisfy((folder) -> assertThat(folder).isDirectory());

        app.destroy();
        assertThat(app.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            .as("stopped within %s after SIGTERM:%n%s", STOP_TIMEOUT, log())
            .isTrue();
        assertThat(app.exitValue()).as("exit code after SIGTERM (128 + 15)").isEqualTo(143);
        assertThat(log()).contains("Graceful shutdown complete")
            .contains("Closed PostgreSQL node primary", "Closed PostgreSQL node standby1")
            .doesNotContain(" ERROR ");
        await("no PostgreSQL process of the application is left").atMost(SERVER_EXIT_TIMEOUT)
            .pollInterval(POLL_INTERVAL)
            .untilAsserted(() -> assertThat(servers).noneMatch(ProcessHandle::isAlive));
        assertThat(ports).allSatisfy((port) -> assertThat(accepts(port)).as("port %d", port).isFalse());
        assertThat(nodeFolders).allSatisfy((folder) -> assertThat(folder).doesNotExist());
    }

    @Test
    void refusesToRunItsBuiltInEmbeddedServerWhenTheRunConfiguresAnother(TestInfo test) throws Exception {
        // AOT fixed the embedded-database choice when the jar was built; the run asks for another server
        Process app = launch(test, "--server.port=0", "--nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/orders");
        assertThat(app.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
            .as("gave up within %s:%n%s", START_TIMEOUT, log())
            .isTrue();
        assertThat(app.exitValue()).isNotZero();
        assertThat(log()).contains("Starting AOT-processed SampleApplication")
            .contains("but this application was AOT-processed without one")
            .doesNotContain("Started PostgreSQL");
    }

    @Test
    @SuppressWarnings("unchecked")
    void packagesTheNativeImageHintsOfTheLibraryAndOfTheMappedTypes() throws IOException {
        Map<String, Object> metadata;
        try (JarFile jar = new JarFile(jar().toFile())) {
            ZipEntry entry = jar.getEntry(METADATA);
            assertThat(entry).as(METADATA).isNotNull();
            try (InputStream in = jar.getInputStream(entry)) {
                metadata = this.json.parseMap(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        List<Map<String, Object>> reflection = (List<Map<String, Object>>) metadata.get("reflection");
        assertThat(methodNames(type(reflection, "io.nexs.postgres.query.PlanCompiler"))).contains("readPlain",
                "readWrapped", "constructorFailed", "setterFailed", "readInt", "readLong", "readDouble",
                "readBoolean");
        assertThat(type(reflection, "java.math.BigDecimal[]")).isNotNull();
        for (String mapped : List.of("io.nexs.postgres.sample.Order", "io.nexs.postgres.sample.NewOrder")) {
            assertThat(type(reflection, mapped)).as(mapped)
                .containsEntry("allDeclaredConstructors", true)
                .containsEntry("allDeclaredFields", true);
        }
        assertThat(methodNames(type(reflection, "io.nexs.postgres.sample.Order"))).contains("id", "customer",
                "total", "createdAt");
    }

    @AfterEach
    void stopWhatIsStillRunning() throws InterruptedException {
        for (Process process : this.launched) {
            if (process.isAlive()) {
                // SIGTERM first, so the application still closes its PostgreSQL servers
                process.destroy();
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    private Process launch(TestInfo test, String... arguments) throws IOException {
        Path jar = jar();
        assertThat(jar).as("the packaged sample; run after package").isRegularFile();
        Path logs = jar.resolveSibling("aot-it");
        Files.createDirectories(logs);
        this.log = logs.resolve(test.getTestMethod().orElseThrow().getName() + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Dspring.aot.enabled=true", "-jar", jar.toString()));
        command.addAll(Arrays.asList(arguments));
        Process process = new ProcessBuilder(command).directory(jar.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(this.log.toFile())
            .start();
        this.launched.add(process);
        return process;
    }

    private static Path jar() {
        return Path.of(System.getProperty("sample.jar", "target/sample-app.jar")).toAbsolutePath();
    }

    private void awaitHttp(Process app) {
        await("the application answers HTTP").atMost(START_TIMEOUT).pollInterval(POLL_INTERVAL).until(() -> {
            if (!app.isAlive()) {
                fail("The application exited with %d while starting:%n%s", app.exitValue(), log());
            }
            Matcher port = HTTP_PORT.matcher(log());
            if (!port.find()) {
                return false;
            }
            this.httpPort = Integer.parseInt(port.group(1));
            try {
                return get("/actuator/health").statusCode() == 200;
            }
            catch (IOException ex) {
                return false;
            }
        });
    }

    /** The application's log so far (stdout and stderr), a partly written character replaced. */
    private String log() throws IOException {
        return new String(Files.readAllBytes(this.log), StandardCharsets.UTF_8);
    }

    /** The postmasters the log names and every process they have now. */
    private List<ProcessHandle> serverProcesses() throws IOException {
        List<ProcessHandle> processes = new ArrayList<>();
        for (long pid : postmasterPids()) {
            ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
            processes.add(postmaster);
            try (Stream<ProcessHandle> children = postmaster.descendants()) {
                children.forEach(processes::add);
            }
        }
        return processes;
    }

    /** The node folders of the postmasters, from their {@code -D} argument. */
    private List<Path> nodeFolders() throws IOException {
        List<Path> folders = new ArrayList<>();
        for (long pid : postmasterPids()) {
            List<String> arguments = ProcessHandle.of(pid)
                .flatMap((handle) -> handle.info().arguments())
                .map(Arrays::asList)
                .orElseThrow(() -> new AssertionError("cannot see the arguments of postmaster " + pid));
            int option = arguments.indexOf("-D");
            assertThat(option).as("postmaster arguments %s", arguments).isNotNegative();
            // the data folder sits in the node's folder, which closing the node deletes
            folders.add(Path.of(arguments.get(option + 1)).getParent());
        }
        return folders;
    }

    private List<Long> postmasterPids() throws IOException {
        List<Long> pids = new ArrayList<>();
        Matcher started = NODE_STARTED.matcher(log());
        while (started.find()) {
            pids.add(Long.parseLong(started.group(3)));
        }
        assertThat(pids).as("the nodes started, in the log:%n%s", log()).hasSize(2);
        return pids;
    }

    private static boolean accepts(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        }
        catch (ConnectException | SocketTimeoutException ex) {
            return false;
        }
    }

    private static Map<String, Object> type(List<Map<String, Object>> reflection, String name) {
        return reflection.stream()
            .filter((entry) -> name.equals(entry.get("type")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no reflection hint for " + name));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> methodNames(Map<String, Object> type) {
        List<Map<String, Object>> methods = (List<Map<String, Object>>) type.getOrDefault("methods", List.of());
        return methods.stream().map((method) -> method.get("name")).toList();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        // sends back the last consistency token, as a client of the sample does to read its own writes
        if (this.consistencyToken != null) {
            request.header(CONSISTENCY_HEADER, this.consistencyToken);
        }
        HttpResponse<String> response = this.http.send(request.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        response.headers().firstValue(CONSISTENCY_HEADER).ifPresent((token) -> this.consistencyToken = token);
        return response;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + this.httpPort + path);
    }

}
