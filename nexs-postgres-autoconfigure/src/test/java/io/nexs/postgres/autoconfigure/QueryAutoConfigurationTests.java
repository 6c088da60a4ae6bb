package io.nexs.postgres.autoconfigure;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.notify.Notification;
import io.nexs.postgres.notify.NotificationListenerContainer;
import io.nexs.postgres.notify.Subscription;
import io.nexs.postgres.query.JsonCodec;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.query.RowMappingException;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TestDataSources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.dao.DuplicateKeyException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The query side of the auto-configuration: row mappers, JSON, notifications and the driver defaults that keep
 * data out of error messages.
 */
@ExtendWith({ PostgresExtension.class, OutputCaptureExtension.class })
class QueryAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresTemplateAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2");

    record Tagged(long id, Map<String, Object> tags) {
    }

    record Narrow(long id) {
    }

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void theProviderMapsRowsAndReadsJsonWithJackson() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasSingleBean(RowMappers.class).hasSingleBean(JsonCodec.class);
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            assertThat(postgres.queryOne(Tagged.class, "select 7 as id, '{\"team\": \"db\"}'::jsonb as tags"))
                .hasValueSatisfying((tagged) -> assertThat(tagged.tags()).containsEntry("team", "db"));
        });
    }

    @Test
    void anApplicationJsonMapperIsUsed() {
        JsonMapper mapper = JsonMapper.builder().build();
        this.contextRunner.withBean(JsonMapper.class, () -> mapper).run((context) -> {
            assertThat(context).hasSingleBean(JsonCodec.class);
            assertThat(context.getBean(JsonCodec.class).write(Map.of("a", 1))).isEqualTo("{\"a\":1}");
        });
    }

    @Test
    void withoutJacksonJsonIsReadAsTextOnly() {
        this.contextRunner.withClassLoader(new FilteredClassLoader("tools.jackson")).run((context) -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(JsonCodec.class);
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            assertThat(postgres.queryOne(String.class, "select '{\"a\": 1}'::jsonb")).contains("{\"a\": 1}");
        });
    }

    @Test
    void unmappedColumnsCanBeMadeAnError() {
        String sql = "select 1 as id, 2 as extra";
        this.contextRunner.run((context) -> assertThat(
                context.getBean(PostgresProvider.class).queryOne(Narrow.class, sql)).contains(new Narrow(1)));
        this.contextRunner.withPropertyValues("nexs.postgres.query.unmapped-columns=fail")
            .run((context) -> assertThatExceptionOfType(RowMappingException.class)
                .isThrownBy(() -> context.getBean(PostgresProvider.class).queryOne(Narrow.class, sql))
                .withMessageContaining("extra"));
    }

    @Test
    void errorMessagesLeaveOutTheServersDetailLine() {
        this.contextRunner.run((context) -> {
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            postgres.exec("create table if not exists accounts_detail (email text primary key)");
            postgres.exec("insert into accounts_detail values ('first@example.com') on conflict do nothing");
            // The driver would add "Detail: Key (email)=(first@example.com) already exists." to the message.
            assertThatExceptionOfType(DuplicateKeyException.class)
                .isThrownBy(() -> postgres.exec("insert into accounts_detail select email from accounts_detail"))
                .satisfies((ex) -> assertThat(ex.getMessage()).contains("accounts_detail_pkey")
                    .doesNotContain("first@example.com"));
        });
    }

    @Test
    void theNotificationContainerIsCreatedOnDemandAndReceivesWhatTheProviderSends() {
        this.contextRunner.run((context) -> {
            PostgresProvider postgres = context.getBean(PostgresProvider.class);
            long listening = postgres.queryCount("select count(*) from pg_stat_activity where query ilike 'listen%'");
            assertThat(listening).as("no connection before the container is used").isZero();
            NotificationListenerContainer container = context.getBean(NotificationListenerContainer.class);
            assertThat(container.isRunning()).isTrue();
            BlockingQueue<Notification> received = new ArrayBlockingQueue<>(4);
            try (Subscription subscription = container.listen("orders", received::add)) {
                postgres.notify("orders", "order 42 paid");
                Notification notification = received.poll(10, TimeUnit.SECONDS);
                assertThat(notification).isNotNull();
                assertThat(notification.payload()).isEqualTo("order 42 paid");
                assertThat(notification.channel()).isEqualTo("orders");
            }
        });
        this.contextRunner.run((context) -> assertThat(context.getBean(PostgresProvider.class)
            .queryCount("select count(*) from pg_stat_activity where backend_type = 'client backend' "
                    + "and query ilike 'listen%'")).as("the container closed with the context").isZero());
    }

    @Test
    void anApplicationDataSourceGetsATemplateAndNoPoolAndSaysSoAtDebugLevel(CapturedOutput output) {
        LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
        String category = NexsPostgresTemplateAutoConfiguration.class.getName();
        logging.setLogLevel(category, LogLevel.DEBUG);
        try {
            runWithAnApplicationDataSource();
        }
        finally {
            logging.setLogLevel(category, null);
        }
        assertThat(output).contains("The application defines its own DataSource (" + HikariDataSource.class.getName()
                + "): nexs-postgres opens no pool");
    }

    private void runWithAnApplicationDataSource() {
        this.contextRunner.withBean(DataSource.class, () -> TestDataSources.pooled(node, 1)).run((context) -> {
            assertThat(context).doesNotHaveBean(PostgresProvider.class).hasSingleBean(PostgresOperations.class);
            PostgresTemplate template = context.getBean(PostgresTemplate.class);
            assertThat(template.queryAll(Narrow.class, "select generate_series(1, 2) as id"))
                .containsExactly(new Narrow(1), new Narrow(2));
        });
    }

    @Test
    void withTheProviderThereIsOneSetOfOperations() {
        this.contextRunner.run((context) -> assertThat(context).hasSingleBean(PostgresOperations.class)
            .getBean(PostgresOperations.class)
            .isInstanceOf(PostgresProvider.class));
    }

}
