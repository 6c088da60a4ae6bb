package io.nexs.postgres.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.hook.SlowQueryLogger;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Hooks and retries as Spring Boot sets them up: hook beans registered in order, the slow-query log, the
 * transaction listener on the application's transaction manager, and {@code nexs.postgres.hooks.*} and
 * {@code nexs.postgres.retry.*} bound or rejected with a report that names the property.
 */
@ExtendWith(PostgresExtension.class)
class HookAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                TransactionManagerCustomizationAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void hookBeansAreRegisteredInTheirOrderAndRunInIt() {
        this.contextRunner.withUserConfiguration(OrderedHooksConfiguration.class).run((context) -> {
            assertThat(context).hasNotFailed();
            HookManager hooks = context.getBean(HookManager.class);
            PostgresProvider provider = context.getBean(PostgresProvider.class);
            assertThat(provider.hooks()).isSameAs(hooks);
            assertThat(hooks.hooks()).map(Object::toString).containsExactly("first", "second", "third", "last");

            List<String> journal = context.getBean(Journal.class).entries;
            provider.exec("do $$ begin end $$");
            assertThat(journal).containsExactly("first", "second", "third", "last");
        });
    }

    @Test
    void theSlowQueryLoggerExistsOnlyWithAThreshold() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(SlowQueryLogger.class);
            assertThat(context.getBean(HookManager.class).hooks()).isEmpty();
        });
        this.contextRunner.withPropertyValues("nexs.postgres.hooks.slow-query.threshold=250ms").run((context) -> {
            assertThat(context).hasSingleBean(SlowQueryLogger.class);
            SlowQueryLogger logger = context.getBean(SlowQueryLogger.class);
            assertThat(logger.threshold()).isEqualTo(Duration.ofMillis(250));
            assertThat(context.getBean(HookManager.class).hooks()).containsExactly(logger);
        });
    }

    @Test
    void hookPropertiesBindIntoTheHookManager() {
        this.contextRunner.run((context) -> {
            HookManager hooks = context.getBean(HookManager.class);
            assertThat(hooks.timeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(hooks.includesParameters()).isFalse();
        });
        this.contextRunner
            .withPropertyValues("nexs.postgres.hooks.timeout=300ms", "nexs.postgres.hooks.include-parameters=true")
            .run((context) -> {
                HookManager hooks = context.getBean(HookManager.class);
                assertThat(hooks.timeout()).isEqualTo(Duration.ofMillis(300));
                assertThat(hooks.includesParameters()).isTrue();
            });
    }

    static Stream<Arguments> invalidProperties() {
        return Stream.of(
                arguments("nexs.postgres.hooks.timeout=-1s", "nexs.postgres.hooks.timeout", "0 to let hooks run"),
                arguments("nexs.postgres.hooks.slow-query.threshold=-5ms", "nexs.postgres.hooks.slow-query.threshold",
                        "remove it to turn the slow-query log off"),
                arguments("nexs.postgres.retry.max-attempts=0", "nexs.postgres.retry.max-attempts", "1 or more"),
                arguments("nexs.postgres.retry.multiplier=0.5", "nexs.postgres.retry.multiplier", "1 (equal pauses)"),
                arguments("nexs.postgres.retry.max-interval=0s", "nexs.postgres.retry.max-interval", "such as 1s"),
                arguments("nexs.postgres.retry.transient-sql-states=40001,XYZ",
                        "nexs.postgres.retry.transient-sql-states[1]", "five-character SQLSTATE"),
                arguments("nexs.postgres.retry.transient-exceptions=com.example.Missing",
                        "nexs.postgres.retry.transient-exceptions[0]", "fully qualified name"),
                arguments("nexs.postgres.retry.transient-exceptions=java.lang.String",
                        "nexs.postgres.retry.transient-exceptions[0]", "extends Throwable"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidProperties")
    void anInvalidValueFailsStartUpNamingTheProperty(String property, String name, String fix) {
        this.contextRunner.withPropertyValues(property).run((context) -> {
            assertThat(context).hasFailed();
            InvalidPostgresPropertyException failure = NexsPostgresAutoConfigurationTests
                .findCause(context.getStartupFailure(), InvalidPostgresPropertyException.class);
            assertThat(failure.getProperty()).isEqualTo(name);
            assertThat(failure.getMessage()).contains(name);
            FailureAnalysis analysis = new InvalidPostgresPropertyFailureAnalyzer()
                .analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).contains("Property: " + name);
            assertThat(analysis.getAction()).contains(fix);
        });
    }

    @Test
    void theApplicationsTransactionsReachTheHookBeans() {
        this.contextRunner.withUserConfiguration(TransactionHookConfiguration.class).run((context) -> {
            assertThat(context).hasNotFailed();
            TransactionHook hook = context.getBean(TransactionHook.class);
            PostgresProvider provider = context.getBean(PostgresProvider.class);
            TransactionTemplate transactions = new TransactionTemplate(
                    context.getBean(PlatformTransactionManager.class));

            transactions.executeWithoutResult((status) -> {
                provider.exec("set local application_name = 'hooked'");
                // joins the application's transaction: not a transaction of its own
                provider.inTransaction((inner) -> provider.exec("set local statement_timeout = '5s'"));
            });
            assertThat(hook.events).containsExactly("begin", "commit");
            assertThat(hook.contexts).hasSize(1);
            HookContext committed = hook.contexts.get(0);
            assertThat(committed.node()).isEqualTo(provider.topology().nodes().get(0).name());
            assertThat(committed.role()).isEqualTo(NodeRole.PRIMARY);

            hook.events.clear();
            assertThatIllegalStateException().isThrownBy(() -> transactions.executeWithoutResult((status) -> {
                provider.exec("set local application_name = 'hooked'");
                throw new IllegalStateException("rolls back");
            }));
            assertThat(hook.events).containsExactly("begin", "rollback");
        });
    }

    @Test
    void retryPropertiesBindIntoTheRetrierOfTheProvider() {
        this.contextRunner.run((context) -> {
            Retrier retrier = context.getBean(Retrier.class);
            assertThat(retrier.isEnabled()).isTrue();
            assertThat(retrier.settings()).isEqualTo(RetrySettings.defaults());
        });
        this.contextRunner
            .withPropertyValues("nexs.postgres.retry.max-attempts=5", "nexs.postgres.retry.initial-interval=10ms",
                    "nexs.postgres.retry.multiplier=1.5", "nexs.postgres.retry.max-interval=200ms",
                    "nexs.postgres.retry.jitter=0", "nexs.postgres.retry.verify-commit=false",
                    "nexs.postgres.retry.verify-commit-timeout=3s", "nexs.postgres.retry.transient-sql-states= 55P03",
                    "nexs.postgres.retry.timeout=5s",
                    "nexs.postgres.retry.transient-exceptions="
                            + PessimisticLockingFailureException.class.getName())
            .run((context) -> {
                Retrier retrier = context.getBean(Retrier.class);
                assertThat(((DefaultPostgresProvider) context.getBean(PostgresProvider.class)).getRetrier())
                    .isSameAs(retrier);
                assertThat(retrier.settings()).isEqualTo(new RetrySettings(true, 5, Duration.ofMillis(10), 1.5,
                        Duration.ofMillis(200), Duration.ZERO, false, Duration.ofSeconds(3), false, Duration.ofSeconds(5)));
                assertThat(retrier.transientErrors().sqlStates()).contains("55P03", "40001");
                assertThat(retrier.transientErrors().exceptionTypes())
                    .contains(PessimisticLockingFailureException.class);
            });
        this.contextRunner.withPropertyValues("nexs.postgres.retry.settle-auto-commit-writes=true")
            .run((context) -> assertThat(context.getBean(Retrier.class).settings())
                .isEqualTo(RetrySettings.defaults().withSettleAutoCommitWrites(true)));
        this.contextRunner.withPropertyValues("nexs.postgres.retry.enabled=false").run((context) -> {
            Retrier retrier = context.getBean(Retrier.class);
            assertThat(retrier.isEnabled()).isFalse();
            assertThat(retrier.settings().enabled()).isFalse();
        });
    }

    /** The order hooks ran in. */
    static final class Journal {

        final List<String> entries = new CopyOnWriteArrayList<>();

    }

    /** A hook without an order of its own, named for the journal. */
    static class NamedHook implements PostgresHook {

        private final String name;

        private final Journal journal;

        NamedHook(String name, Journal journal) {
            this.name = name;
            this.journal = journal;
        }

        @Override
        public void beforeExec(HookContext context) {
            this.journal.entries.add(this.name);
        }

        @Override
        public String toString() {
            return this.name;
        }

    }

    @Order(3)
    static class ThirdHook extends NamedHook {

        ThirdHook(Journal journal) {
            super("third", journal);
        }

    }

    static class SecondHook extends NamedHook implements Ordered {

        SecondHook(Journal journal) {
            super("second", journal);
        }

        @Override
        public int getOrder() {
            return 2;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class OrderedHooksConfiguration {

        @Bean
        Journal journal() {
            return new Journal();
        }

        @Bean
        PostgresHook lastHook(Journal journal) {
            return new NamedHook("last", journal);
        }

        @Bean
        ThirdHook thirdHook(Journal journal) {
            return new ThirdHook(journal);
        }

        @Bean
        @Order(1)
        PostgresHook firstHook(Journal journal) {
            return new NamedHook("first", journal);
        }

        @Bean
        SecondHook secondHook(Journal journal) {
            return new SecondHook(journal);
        }

    }

    /** Records the transaction points. */
    static class TransactionHook implements PostgresHook {

        final List<String> events = new CopyOnWriteArrayList<>();

        final List<HookContext> contexts = new CopyOnWriteArrayList<>();

        @Override
        public void onTransactionBegin(HookContext context) {
            this.events.add("begin");
        }

        @Override
        public void onTransactionCommit(HookContext context) {
            this.events.add("commit");
            this.contexts.add(context);
        }

        @Override
        public void onTransactionRollback(HookContext context) {
            this.events.add("rollback");
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class TransactionHookConfiguration {

        @Bean
        TransactionHook transactionHook() {
            return new TransactionHook();
        }

    }

}
