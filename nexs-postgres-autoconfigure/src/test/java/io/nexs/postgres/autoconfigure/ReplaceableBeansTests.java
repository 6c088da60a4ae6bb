package io.nexs.postgres.autoconfigure;

import java.time.Duration;
import java.util.List;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.autoconfigure.PostgresConnectionDetails.Node;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.test.ClusterSpec;
import io.nexs.postgres.test.PostgresCluster;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.topology.ClusterNode;
import io.nexs.postgres.topology.ClusterTopology;
import io.nexs.postgres.topology.DefaultClusterTopology;
import io.nexs.postgres.topology.NodeRole;
import io.nexs.postgres.tx.Retrier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.mockito.Mockito.mock;

/**
 * The named beans of {@link NexsPostgresAutoConfiguration}: each backs off for one of the application's, and
 * connection details from another source than the properties drive the pools.
 */
@ExtendWith(PostgresExtension.class)
class ReplaceableBeansTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void namesEachBeanAfterWhatItIs() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean("postgresConnectionDetails"))
                .isInstanceOf(PropertiesPostgresConnectionDetails.class);
            assertThat(context.getBean("postgresCluster")).isInstanceOf(ClusterTopology.class);
            assertThat(context.getBean("postgresProvider")).isInstanceOf(PostgresProvider.class);
            assertThat(context.getBean("postgresHookManager")).isInstanceOf(HookManager.class);
            assertThat(context.getBean("postgresRetrier")).isInstanceOf(Retrier.class);
            assertThat(context.getBean("postgresRowMappers")).isInstanceOf(RowMappers.class);
            PostgresProvider provider = context.getBean(PostgresProvider.class);
            assertThat(provider.topology()).isSameAs(context.getBean(ClusterTopology.class));
            assertThat(provider.hooks()).isSameAs(context.getBean(HookManager.class));
            assertThat(context.getBean("dataSource")).isSameAs(provider.dataSource());
        });
    }

    @Test
    void theProviderTakesTheApplicationsCluster() {
        NexsPostgresProperties properties = new NexsPostgresProperties();
        properties.setUrl(node.jdbcUrl());
        properties.setUsername(node.username());
        properties.getPool().setMaxSize(1);
        PostgresSettings.Cluster settings = PostgresSettings.cluster(properties, null, null);
        this.contextRunner.withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/nowhere")
            .withBean("myCluster", ClusterTopology.class, () -> {
                ClusterTopology own = new DefaultClusterTopology(settings.nodes(), settings.topology(), List.of());
                own.start();
                return own;
            })
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(ClusterTopology.class);
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                assertThat(provider.topology()).isSameAs(context.getBean("myCluster"));
                assertThat(new JdbcTemplate(provider.dataSource()).queryForObject("select 1", Integer.class))
                    .isEqualTo(1);
            });
    }

    @Test
    void theProviderTakesTheApplicationsHookRegistry() {
        HookManager own = new HookManager(Duration.ofSeconds(2), false);
        this.contextRunner.withBean("myHooks", HookManager.class, () -> own).run((context) -> {
            assertThat(context).hasNotFailed().hasSingleBean(HookManager.class);
            assertThat(context.getBean(PostgresProvider.class).hooks()).isSameAs(own);
        });
    }

    @Test
    void anApplicationsTransactionManagerTakesThePlaceOfOurs() {
        TransactionManager own = new JdbcTransactionManager(new DriverManagerDataSource(node.jdbcUrl()));
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(NexsPostgresTransactionManagerAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class))
            .withBean("myTransactionManager", TransactionManager.class, () -> own)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context).getBeans(TransactionManager.class).containsOnlyKeys("myTransactionManager");
            });
    }

    @Test
    void anApplicationsProviderLeavesOurClusterUnopened() {
        PostgresProvider own = mock(PostgresProvider.class);
        this.contextRunner.withBean(PostgresProvider.class, () -> own).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(PostgresProvider.class)).isSameAs(own);
            assertThat(context.getBeanFactory().containsSingleton(PostgresClusterConfiguration.CLUSTER))
                .as("the lazy cluster was never created, so it opened no pool")
                .isFalse();
        });
    }

    @Test
    void connectionDetailsOfTheApplicationDriveThePools(@ClusterSpec(standbys = 1) PostgresCluster cluster) {
        PostgresConnectionDetails details = new PostgresConnectionDetails() {

            @Override
            public List<Node> getNodes() {
                return List.of(Node.named("replica", cluster.standbys().get(0).jdbcUrl()),
                        Node.named("main", cluster.primary().jdbcUrl()));
            }

            @Override
            public String getUsername() {
                return cluster.primary().username();
            }

        };
        this.contextRunner.withPropertyValues("nexs.postgres.url=jdbc:postgresql://127.0.0.1:1/nowhere")
            .withBean(PostgresConnectionDetails.class, () -> details)
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(PostgresConnectionDetails.class);
                PostgresProvider provider = context.getBean(PostgresProvider.class);
                assertThat(provider.topology().nodes()).extracting(ClusterNode::name, ClusterNode::role)
                    .containsExactly(tuple("replica", NodeRole.REPLICA), tuple("main", NodeRole.PRIMARY));
                assertThat(provider.primary().name()).isEqualTo("main");
                TransactionTemplate readOnly = new TransactionTemplate(
                        new org.springframework.jdbc.datasource.DataSourceTransactionManager(provider.dataSource()));
                readOnly.setReadOnly(true);
                Integer port = readOnly.execute((status) -> new JdbcTemplate(provider.dataSource())
                    .queryForObject("select inet_server_port()", Integer.class));
                assertThat(port).as("a read-only transaction runs on the replica")
                    .isEqualTo(cluster.standbys().get(0).port());
            });
    }

    @Test
    void connectionDetailsWithoutNodesFailStartUpNamingTheBean() {
        PostgresConnectionDetails empty = List::of;
        this.contextRunner.withBean(PostgresConnectionDetails.class, () -> empty).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidPostgresPropertyException.class)
                .hasMessageContaining("the PostgresConnectionDetails bean")
                .hasMessageContaining("it describes no node");
        });
    }

    @Test
    void connectionDetailsNameNodesByTheRulesOfTheProperties() {
        PostgresConnectionDetails reserved = () -> List.of(Node.named("cluster", node.jdbcUrl()));
        this.contextRunner.withBean(PostgresConnectionDetails.class, () -> reserved).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidPostgresPropertyException.class)
                .hasMessageContaining("the PostgresConnectionDetails bean")
                .hasMessageContaining("'cluster' names the health component");
        });
        PostgresConnectionDetails twice = () -> List.of(Node.of(node.jdbcUrl()), Node.of(node.jdbcUrl()));
        this.contextRunner.withBean(PostgresConnectionDetails.class, () -> twice).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidPostgresPropertyException.class)
                .hasMessageContaining("twice");
        });
    }

    @Test
    void thePropertiesDescribeTheNodesWhenNothingElseDoes() {
        NexsPostgresProperties properties = new NexsPostgresProperties();
        properties.setNodes(List.of(node("db1:5432", null), node("db2", "reports")));
        properties.setUsername("app");
        PostgresConnectionDetails details = new PropertiesPostgresConnectionDetails(properties);
        assertThat(details.getNodes()).extracting(PostgresConnectionDetails.Node::name,
                PostgresConnectionDetails.Node::jdbcUrl)
            .containsExactly(tuple("db1:5432", "jdbc:postgresql://db1:5432/postgres"),
                    tuple("reports", "jdbc:postgresql://db2:5432/postgres"));
        assertThat(details.getUsername()).isEqualTo("app");
    }

    private static NexsPostgresProperties.Node node(String address, String name) {
        NexsPostgresProperties.Node node = new NexsPostgresProperties.Node();
        node.setAddress(address);
        node.setName(name);
        return node;
    }

}
