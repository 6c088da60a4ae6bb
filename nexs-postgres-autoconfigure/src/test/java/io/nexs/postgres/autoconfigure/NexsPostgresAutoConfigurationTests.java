package io.nexs.postgres.autoconfigure;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.pool.NodePool;
import io.nexs.postgres.pool.NodePoolCustomizer;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.topology.NodeState;
import io.nexs.postgres.topology.NodeUnavailableException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.Driver;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

@ExtendWith({ PostgresExtension.class, OutputCaptureExtension.class })
class NexsPostgresAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=3");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void defaultsCreateAProviderWithARoutedDataSourceOverAWarmPrimary() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(PostgresProvider.class).hasSingleBean(DataSource.class);
            PostgresProvider provider = context.getBean(PostgresProvider.class);
            assertThat(context.getBean(DataSource.class)).isSameAs(provider.dataSource())
                .isInstanceOf(LazyConnectionDataSourceProxy.class);
            NodePool primary = provider.primary();
            assertThat(primary.dataSource()).isInstanceOf(HikariDataSource.class);
            assertThat(primary.name()).isEqualTo("127.0.0.1:" + node.port());
            ClusterNode only = provider.topology().nodes().get(0);
            assertThat(only.role()).isEqualTo(NodeRole.PRIMARY);
            assertThat(only.state()).isEqualTo(NodeState.HEALTHY);
            assertThat(provider.topology().health().get(0).serverVersion())
                .startsWith(node.version().substring(0, 2));
            assertThat(primary.settings().minIdle()).as("min-idle defaults to max-size").isEqualTo(3);
            assertThat(primary.stats().idle()).as("warm-up opened min-idle connections").isEqualTo(3);
            assertThat(provider.nodes()).containsExactly(primary);
        });
    }

    @Test
    void disabledCreatesNothing() {
        this.contextRunner.withPropertyValues("nexs.postgres.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(PostgresProvider.class)
                .doesNotHaveBean(DataSource.class));
    }

    @Test
    void excludingSpringBootsDataSourceAutoConfigurationLeavesTheApplicationWithoutADataSource() {
        new ApplicationContextRunner().withUserConfiguration(ExcludesDataSourceAutoConfiguration.class)
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username())
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(PostgresProvider.class)
                .doesNotHaveBean(DataSource.class)
                .doesNotHaveBean(JdbcTemplate.class));
    }

    @Test
    void excludingItWithThePropertyDoesTheSame() {
        new ApplicationContextRunner().withUserConfiguration(EveryAutoConfiguration.class)
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                    "spring.autoconfigure.exclude=" + DataSourceAutoConfiguration.class.getName())
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(PostgresProvider.class)
                .doesNotHaveBean(DataSource.class));
    }

    @Test
    void excludingAnotherAutoConfigurationKeepsTheDataSource() {
        new ApplicationContextRunner().withUserConfiguration(ExcludesFlywayAutoConfiguration.class)
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                    "nexs.postgres.pool.max-size=1")
            .run((context) -> assertThat(context).hasSingleBean(PostgresProvider.class)
                .getBean(JdbcTemplate.class)
                .extracting((jdbc) -> jdbc.queryForObject("select 1", Integer.class))
                .isEqualTo(1));
    }

    @Test
    void backsOffWhenTheUserDefinesAProvider() {
        PostgresProvider own = mock(PostgresProvider.class);
        this.contextRunner.withBean(PostgresProvider.class, () -> own)
            .run((context) -> assertThat(context).getBean(PostgresProvider.class).isSameAs(own));
    }

    @Test
    void backsOffEntirelyWhenTheUserDefinesADataSource() {
        DataSource own = mock(DataSource.class);
        this.contextRunner.withBean("myDataSource", DataSource.class, () -> own).run((context) -> {
            assertThat(context).doesNotHaveBean(PostgresProvider.class).doesNotHaveBean(HikariDataSource.class);
            assertThat(context).getBean(DataSource.class).isSameAs(own);
        });
    }

    @Test
    void exposesTheDataSourceOfAUserDefinedProvider() {
        DataSource own = mock(DataSource.class);
        PostgresProvider provider = mock(PostgresProvider.class);
        given(provider.dataSource()).willReturn(own);
        this.contextRunner.withBean(PostgresProvider.class, () -> provider)
            .run((context) -> assertThat(context).getBean(DataSource.class).isSameAs(own));
    }

    @Test
    void backsOffWithoutHikariCp() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(HikariDataSource.class))
            .run((context) -> assertThat(context).doesNotHaveBean(PostgresProvider.class));
    }

    @Test
    void backsOffWithoutPgJdbc() {
        this.contextRunner.withClassLoader(new FilteredClassLoader(Driver.class))
            .run((context) -> assertThat(context).doesNotHaveBean(PostgresProvider.class));
    }

    @Test
    void connectionDetailsTakeThePlaceOfTheUrlProperties() {
        JdbcConnectionDetails details = new JdbcConnectionDetails() {
            @Override
            public String getUsername() {
                return node.username();
            }

            @Override
            public String getPassword() {
                return null;
            }

            @Override
            public String getJdbcUrl() {
                return node.jdbcUrl();
            }
        };
        this.contextRunner.withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/nowhere")
            .withBean(JdbcConnectionDetails.class, () -> details)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                PostgresConnectionDetails nodes = context.getBean(PostgresConnectionDetails.class);
                assertThat(nodes).isInstanceOf(JdbcPostgresConnectionDetails.class);
                assertThat(nodes.getNodes()).extracting(PostgresConnectionDetails.Node::jdbcUrl)
                    .containsExactly(node.jdbcUrl());
                assertThat(nodes.getUsername()).isEqualTo(node.username());
                assertThat(context.getBean(PostgresProvider.class).primary().name())
                    .isEqualTo("127.0.0.1:" + node.port());
            });
    }

    @Test
    void anUnreachableServerFailsStartUpNamingItsAddress() {
        this.contextRunner.withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/postgres",
                "nexs.postgres.password=Sup3rSecret!")
            .run((context) -> {
                assertThat(context).hasFailed();
                NodeUnavailableException failure = findCause(context.getStartupFailure(),
                        NodeUnavailableException.class);
                assertThat(failure.getAddress()).hasToString("127.0.0.1:1");
                FailureAnalysis analysis = new NodeUnavailableFailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis.getDescription()).contains("127.0.0.1:1").doesNotContain("Sup3rSecret!");
                assertThat(analysis.getAction()).contains("nexs.postgres.pool.fail-fast=false")
                    .doesNotContain("Sup3rSecret!");
            });
    }

    @Test
    void logsInWithThePasswordAndNeverShowsIt(CapturedOutput output) {
        String password = "Scram-Secret-" + System.nanoTime();
        try (PostgresNode secured = PostgresNode.builder().password(password).start()) {
            this.contextRunner
                .withPropertyValues("nexs.postgres.url=" + secured.jdbcUrl(), "nexs.postgres.password=" + password)
                .run((context) -> assertThat(context.getBean(PostgresProvider.class).topology().nodes().get(0)
                    .role()).isEqualTo(NodeRole.PRIMARY));
            this.contextRunner
                .withPropertyValues("nexs.postgres.url=" + secured.jdbcUrl(),
                        "nexs.postgres.password=wrong-" + password)
                .run((context) -> {
                    assertThat(context).hasFailed();
                    NodeUnavailableException failure = findCause(context.getStartupFailure(),
                            NodeUnavailableException.class);
                    assertThat(failure.getMessage()).contains("password authentication failed")
                        .doesNotContain(password);
                    FailureAnalysis analysis = new NodeUnavailableFailureAnalyzer()
                        .analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription() + analysis.getAction()).doesNotContain(password);
                });
        }
        assertThat(output).doesNotContain(password);
    }

    @Test
    void withoutFailFastAnUnreachableServerStartsDegraded(CapturedOutput output) {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/postgres",
                    "nexs.postgres.pool.fail-fast=false", "nexs.postgres.pool.connection-timeout=300ms",
                    "nexs.postgres.pool.validation-timeout=250ms")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                ClusterNode unreachable = context.getBean(PostgresProvider.class).topology().nodes().get(0);
                assertThat(unreachable.role()).isEqualTo(NodeRole.UNKNOWN);
                assertThat(unreachable.state()).isEqualTo(NodeState.UNHEALTHY);
                assertThat(output).contains("Starting without PostgreSQL node 127.0.0.1:1");
            });
    }

    @Test
    void withoutWarmUpStartUpOpensNoPooledConnection(CapturedOutput output) {
        this.contextRunner.withPropertyValues("nexs.postgres.pool.warm-up=false", "nexs.postgres.pool.min-idle=0")
            .run((context) -> {
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                assertThat(provider.primary().stats().idle() + provider.primary().stats().active()).isZero();
                assertThat(output).doesNotContain("connections open");
                // the monitor's own check still finds the role
                assertThat(provider.topology().nodes().get(0).role()).isEqualTo(NodeRole.PRIMARY);
            });
    }

    @Test
    void customizersAdjustTheHikariConfiguration() {
        NodePoolCustomizer customizer = (name, config) -> config.setPoolName("custom-" + name);
        this.contextRunner.withBean(NodePoolCustomizer.class, () -> customizer)
            .run((context) -> assertThat(hikari(context).getPoolName())
                .isEqualTo("custom-127.0.0.1:" + node.port()));
    }

    @Test
    void applicationNameDefaultsToTheSpringApplicationName() {
        this.contextRunner.withPropertyValues("spring.application.name=orders")
            .run((context) -> assertThat(JdbcClient.create(context.getBean(DataSource.class))
                .sql("select current_setting('application_name')")
                .query(String.class)
                .single()).isEqualTo("orders"));
    }

    @Test
    void springJdbcAndTransactionsRunOnTheOnePool() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                    JdbcTemplateAutoConfiguration.class, JdbcClientAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class))
            .run((context) -> {
                assertThat(context).hasSingleBean(DataSource.class).hasSingleBean(JdbcTemplate.class);
                JdbcClient jdbc = context.getBean(JdbcClient.class);
                jdbc.sql("create table if not exists tx_probe (id int primary key)").update();
                jdbc.sql("truncate tx_probe").update();
                TransactionTemplate transactions = context.getBean(TransactionTemplate.class);
                try {
                    transactions.executeWithoutResult((status) -> {
                        jdbc.sql("insert into tx_probe values (1)").update();
                        throw new IllegalStateException("roll back");
                    });
                }
                catch (IllegalStateException expected) {
                    // the insert must be gone
                }
                transactions.executeWithoutResult((status) -> jdbc.sql("insert into tx_probe values (2)").update());
                assertThat(jdbc.sql("select id from tx_probe").query(Integer.class).list()).containsExactly(2);
            });
    }

    @Test
    void flywayMigratesThroughTheProvidersDataSource() {
        this.contextRunner.withConfiguration(AutoConfigurations.of(FlywayAutoConfiguration.class))
            .withPropertyValues("spring.flyway.locations=classpath:db/flyway-probe",
                    "spring.flyway.schemas=flyway_probe")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(JdbcClient.create(context.getBean(DataSource.class))
                    .sql("select count(*) from flyway_probe.greeting")
                    .query(Integer.class)
                    .single()).isEqualTo(1);
            });
    }

    @Test
    void closingWaitsForABorrowedConnectionToComeBack() throws Exception {
        AtomicReference<HikariDataSource> pool = new AtomicReference<>();
        AtomicReference<Connection> borrowed = new AtomicReference<>();
        AtomicReference<CompletableFuture<Void>> closing = new AtomicReference<>();
        this.contextRunner.withPropertyValues("nexs.postgres.pool.shutdown-timeout=20s").run((context) -> {
            pool.set(hikari(context));
            borrowed.set(pool.get().getConnection());
            closing.set(CompletableFuture.runAsync(context::close));
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> !closing.get().isDone() && !pool.get().isClosed());
            borrowed.get().close();
            closing.get().get();
        });
        assertThat(pool.get().isClosed()).isTrue();
    }

    @Test
    void closingGivesUpAfterTheShutdownTimeoutAndSaysHowManyWereBorrowed(CapturedOutput output) {
        AtomicReference<HikariDataSource> pool = new AtomicReference<>();
        this.contextRunner.withPropertyValues("nexs.postgres.pool.shutdown-timeout=200ms").run((context) -> {
            pool.set(hikari(context));
            pool.get().getConnection();
        });
        assertThat(pool.get().isClosed()).isTrue();
        assertThat(output).contains("Closing the pool of 127.0.0.1:" + node.port()
                + " with 1 connection(s) still borrowed after waiting PT0.2S");
    }

    private static HikariDataSource hikari(ApplicationContext context) {
        return (HikariDataSource) context.getBean(PostgresProvider.class).nodes().get(0).dataSource();
    }

    @Test
    void theProviderIsTheDefaultImplementation() {
        this.contextRunner.run((context) -> assertThat(context).getBean(PostgresProvider.class)
            .isInstanceOf(DefaultPostgresProvider.class));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(classes = { NexsPostgresAutoConfiguration.class, DataSourceAutoConfiguration.class,
            JdbcTemplateAutoConfiguration.class }, exclude = DataSourceAutoConfiguration.class)
    static class ExcludesDataSourceAutoConfiguration {

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class EveryAutoConfiguration {

    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(classes = { NexsPostgresAutoConfiguration.class, DataSourceAutoConfiguration.class,
            JdbcTemplateAutoConfiguration.class, FlywayAutoConfiguration.class }, exclude = FlywayAutoConfiguration.class)
    static class ExcludesFlywayAutoConfiguration {

    }

    static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        Throwable candidate = failure;
        while (candidate != null) {
            if (type.isInstance(candidate)) {
                return type.cast(candidate);
            }
            candidate = candidate.getCause();
        }
        throw new AssertionError("No " + type.getSimpleName() + " in " + failure, failure);
    }

}
