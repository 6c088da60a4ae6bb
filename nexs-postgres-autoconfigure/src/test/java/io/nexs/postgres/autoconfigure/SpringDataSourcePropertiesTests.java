package io.nexs.postgres.autoconfigure;

import java.util.List;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.StringUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.Mockito.mock;

/**
 * What {@code spring.datasource.*} means next to the starter: its URL and credentials connect the pools when
 * {@code nexs.postgres.*} names no server, fail start-up when they contradict it, are left to connection details
 * the application hands over, and the keys nothing reads are named in one warning. An application that keeps its
 * own {@code DataSource} hears nothing of it.
 */
@ExtendWith(OutputCaptureExtension.class)
class SpringDataSourcePropertiesTests {

    private static final String PASSWORD = "Spring-Ds-S3cret";

    private static final String OTHER_PASSWORD = "Other-Ds-S3cret";

    private static final String USED_AS_SOURCE = "nexs-postgres connects to the servers of spring.datasource.url";

    private static final String UNUSED_KEYS = "these spring.datasource properties have no effect";

    @AutoClose
    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(
                AutoConfigurations.of(NexsPostgresAutoConfiguration.class, DataSourceAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.pool.max-size=2");

    @BeforeAll
    static void startNode() {
        node = PostgresNode.builder().password(PASSWORD).start();
    }

    @Test
    void urlAndCredentialsConnectThePoolsWhenNexsPostgresNamesNoServer(CapturedOutput output) {
        this.contextRunner
            .withPropertyValues("spring.datasource.url=" + node.jdbcUrl(),
                    "spring.datasource.username=" + node.username(), "spring.datasource.password=" + PASSWORD)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                assertThat(provider.primary().name()).isEqualTo(node.host() + ":" + node.port());
                assertThat(JdbcClient.create(context.getBean(DataSource.class))
                    .sql("select current_user")
                    .query(String.class)
                    .single()).isEqualTo(node.username());
                PostgresConnectionDetails details = context.getBean(PostgresConnectionDetails.class);
                assertThat(details.getNodes()).extracting(PostgresConnectionDetails.Node::jdbcUrl)
                    .containsExactly(node.jdbcUrl());
                assertThat(details.getPassword()).isEqualTo(PASSWORD);
            });
        assertThat(occurrences(output, USED_AS_SOURCE)).isOne();
        assertThat(output).contains("logging in with spring.datasource.username and spring.datasource.password",
                "Consider setting nexs.postgres.url, nexs.postgres.username, nexs.postgres.password instead")
            .doesNotContain(PASSWORD)
            .doesNotContain(UNUSED_KEYS);
    }

    @Test
    void aMultiHostUrlGivesOneNodePerHost() {
        SpringDataSourceProperties spring = new SpringDataSourceProperties(
                "jdbc:postgresql://db1:5432,db2:5433/orders?ssl=true", "app", null, List.of());
        PostgresSettings.Login login = PostgresSettings.login(new NexsPostgresProperties(), null, spring);
        assertThat(login.servers()).extracting(PostgresServers.Server::jdbcUrl)
            .containsExactly("jdbc:postgresql://db1:5432/orders?ssl=true",
                    "jdbc:postgresql://db2:5433/orders?ssl=true");
        assertThat(login.servers()).extracting(PostgresServers.Server::property)
            .containsOnly("spring.datasource.url");
        assertThat(login.username()).isEqualTo("app");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { "jdbc:h2:mem:test | jdbc:postgresql://host:5432/database",
            "jdbc:postgresql://db1,db2/app?targetServerType=primary | Remove the targetServerType parameter" })
    void aUrlNexsPostgresCannotUseIsReportedAsSpringDataSourceUrl(String url, String fix) {
        SpringDataSourceProperties spring = new SpringDataSourceProperties(url, null, PASSWORD, List.of());
        assertThatExceptionOfType(InvalidPostgresPropertyException.class)
            .isThrownBy(() -> PostgresSettings.login(new NexsPostgresProperties(), null, spring))
            .satisfies((failure) -> {
                assertThat(failure.getProperty()).isEqualTo("spring.datasource.url");
                assertThat(failure.getAction()).contains(fix);
            });
    }

    @ParameterizedTest
    @ValueSource(strings = { "nexs.postgres.url=jdbc:postgresql://db:5432/app", "nexs.postgres.host=db",
            "nexs.postgres.nodes=db1:5432,db2:5432" })
    void aUrlNextToServersOfNexsPostgresFailsStartUpNamingBoth(String servers) {
        String nexsProperty = servers.substring(0, servers.indexOf('='));
        this.contextRunner
            .withPropertyValues(servers, "spring.datasource.url=jdbc:postgresql://other:5432/app?password=" + PASSWORD)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context, "spring.datasource.url");
                assertThat(analysis.getDescription()).contains("Property: spring.datasource.url",
                        "both spring.datasource.url and " + nexsProperty + " name the servers");
                assertThat(analysis.getAction()).contains("Remove one of them",
                        "remove spring.datasource.url", "remove " + nexsProperty);
                assertThat(analysis.getDescription() + analysis.getAction()).doesNotContain(PASSWORD);
            });
    }

    @Test
    void differingUserNamesFailStartUpWithoutShowingEither() {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=first-user-name",
                    "spring.datasource.username=second-user-name")
            .run((context) -> {
                FailureAnalysis analysis = analysis(context, "spring.datasource.username");
                assertThat(analysis.getDescription()).contains(
                        "both spring.datasource.username and nexs.postgres.username are set, and they differ");
                assertThat(analysis.getAction()).contains("remove spring.datasource.username",
                        "remove nexs.postgres.username");
                assertThat(analysis.getDescription() + analysis.getAction()).doesNotContain("first-user-name")
                    .doesNotContain("second-user-name");
            });
    }

    @Test
    void differingPasswordsFailStartUpWithoutShowingEither(CapturedOutput output) {
        this.contextRunner
            .withPropertyValues("spring.datasource.url=" + node.jdbcUrl(), "nexs.postgres.password=" + PASSWORD,
                    "spring.datasource.password=" + OTHER_PASSWORD)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context, "spring.datasource.password");
                assertThat(analysis.getDescription()).contains("Property: spring.datasource.password",
                        "both spring.datasource.password and nexs.postgres.password are set, and they differ");
                assertThat(analysis.getDescription()).doesNotContain("Value:");
                assertThat(analysis.getAction()).contains("remove nexs.postgres.password");
            });
        assertThat(output).doesNotContain(PASSWORD).doesNotContain(OTHER_PASSWORD);
    }

    @Test
    void equalOrMissingCredentialsOfNexsPostgresLetSpringDataSourceOnesServe(CapturedOutput output) {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.password=" + PASSWORD,
                    "spring.datasource.password=" + PASSWORD, "spring.datasource.username=" + node.username())
            .run((context) -> assertThat(context).hasNotFailed().hasSingleBean(PostgresProvider.class));
        assertThat(output).contains("nexs-postgres connects to the servers of nexs.postgres.url, logging in with "
                + "spring.datasource.username, as nexs.postgres.username is not set")
            .doesNotContain(PASSWORD);
    }

    @Test
    void keysNothingReadsAreNamedInOneWarningWithoutTheirValues(CapturedOutput output) {
        this.contextRunner
            .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                    "nexs.postgres.password=" + PASSWORD, "spring.datasource.hikari.maximumPoolSize=23",
                    "spring.datasource.hikari.auto-commit=false",
                    "spring.datasource.driver-class-name=org.example.DistinctDriver",
                    "spring.datasource.name=distinct-database-name",
                    "spring.datasource.hikari.connection-timeout=4321",
                    "spring.datasource.schema-username=removed-in-boot-2-5")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(occurrences(output, UNUSED_KEYS)).isOne();
        String warning = output.getAll().lines().filter((line) -> line.contains(UNUSED_KEYS)).findFirst().orElseThrow();
        assertThat(warning).contains("WARN", "spring.datasource.driver-class-name, ",
                "spring.datasource.hikari.auto-commit (use a NodePoolCustomizer bean)",
                "spring.datasource.hikari.connection-timeout (use nexs.postgres.pool.connection-timeout)",
                "spring.datasource.hikari.maximum-pool-size (use nexs.postgres.pool.max-size)",
                "spring.datasource.name.")
            .doesNotContain("schema-username");
        // the values set above are numbers, false and names: none of them is in what the warning says
        assertThat(warning.substring(warning.indexOf(UNUSED_KEYS))).doesNotContainPattern("[0-9]")
            .doesNotContain("false");
        assertThat(output).doesNotContain("DistinctDriver", "distinct-database-name", "removed-in-boot-2-5",
                USED_AS_SOURCE);
    }

    @Test
    void connectionDetailsOfTheApplicationWinAndTheUnusedPropertiesAreNamed(CapturedOutput output) {
        JdbcConnectionDetails serviceConnection = new JdbcConnectionDetails() {
            @Override
            public String getUsername() {
                return node.username();
            }

            @Override
            public String getPassword() {
                return PASSWORD;
            }

            @Override
            public String getJdbcUrl() {
                return node.jdbcUrl();
            }
        };
        this.contextRunner.withBean(JdbcConnectionDetails.class, () -> serviceConnection)
            .withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:1/nowhere",
                    "spring.datasource.password=" + OTHER_PASSWORD, "nexs.postgres.username=someone-else")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(PostgresProvider.class).primary().name())
                    .isEqualTo(node.host() + ":" + node.port());
            });
        assertThat(output).contains("nexs-postgres connects to the servers of the JdbcConnectionDetails bean",
                "nexs.postgres.username, spring.datasource.url, spring.datasource.password are not used")
            .doesNotContain(PASSWORD)
            .doesNotContain(OTHER_PASSWORD);
    }

    @Test
    void anApplicationWithItsOwnDataSourceHearsNothing(CapturedOutput output) {
        DataSource own = mock(DataSource.class);
        this.contextRunner.withBean("myDataSource", DataSource.class, () -> own)
            .withPropertyValues("nexs.postgres.url=jdbc:postgresql://db:5432/app",
                    "spring.datasource.url=jdbc:postgresql://other:5432/app",
                    "spring.datasource.username=someone", "spring.datasource.hikari.maximum-pool-size=3")
            .run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(PostgresProvider.class);
                assertThat(context).getBean(DataSource.class).isSameAs(own);
            });
        assertThat(output).doesNotContain("nexs-postgres connects to", UNUSED_KEYS);
    }

    @Test
    void anApplicationThatExcludesDataSourceAutoConfigurationHearsNothing(CapturedOutput output) {
        this.contextRunner
            .withPropertyValues("spring.autoconfigure.exclude=" + DataSourceAutoConfiguration.class.getName(),
                    "nexs.postgres.url=jdbc:postgresql://db:5432/app",
                    "spring.datasource.url=jdbc:postgresql://other:5432/app",
                    "spring.datasource.hikari.maximum-pool-size=3")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(PostgresProvider.class));
        assertThat(output).doesNotContain("nexs-postgres connects to", UNUSED_KEYS);
    }

    @Test
    void aRealApplicationReportsTheConflict(CapturedOutput output) {
        assertThatException().isThrownBy(() -> new SpringApplicationBuilder(Application.class)
            .web(WebApplicationType.NONE)
            .run("--nexs.postgres.url=jdbc:postgresql://db:5432/app",
                    "--spring.datasource.url=jdbc:postgresql://other:5432/app",
                    "--spring.datasource.password=" + PASSWORD));
        assertThat(output).contains("APPLICATION FAILED TO START", "Property: spring.datasource.url",
                "both spring.datasource.url and nexs.postgres.url name the servers",
                "Remove one of them: keep nexs.postgres.url and remove spring.datasource.url")
            .doesNotContain(PASSWORD);
    }

    private static FailureAnalysis analysis(AssertableApplicationContext context, String property) {
        assertThat(context).hasFailed();
        InvalidPostgresPropertyException failure = NexsPostgresAutoConfigurationTests
            .findCause(context.getStartupFailure(), InvalidPostgresPropertyException.class);
        assertThat(failure.getProperty()).isEqualTo(property);
        assertThat(String.valueOf(failure.getValue())).doesNotContain(PASSWORD);
        FailureAnalysis analysis = new InvalidPostgresPropertyFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).isNotNull();
        return analysis;
    }

    private static int occurrences(CapturedOutput output, String text) {
        return StringUtils.countOccurrencesOf(output.getAll(), text);
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ NexsPostgresAutoConfiguration.class, DataSourceAutoConfiguration.class })
    static class Application {

    }

}
