package io.nexs.postgres.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.nexs.postgres.autoconfigure.NexsPostgresProperties.Node;
import io.nexs.postgres.autoconfigure.NexsPostgresProperties.SslMode;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.pool.PoolSettings;
import io.nexs.postgres.topology.LoadBalancing;
import io.nexs.postgres.topology.NodeDefinition;
import io.nexs.postgres.topology.ReadPreference;
import io.nexs.postgres.topology.TopologySettings;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.ByteArrayResource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;
import static org.mockito.Mockito.mock;

class PostgresSettingsTests {

    private final NexsPostgresProperties properties = new NexsPostgresProperties();

    @Test
    void aUrlGivesTheNodesAddressAndIsPassedOnUnchanged() {
        this.properties.setUrl("jdbc:postgresql://db.example.com:6432/orders?prepareThreshold=0");
        PostgresSettings.Cluster settings = PostgresSettings.cluster(this.properties, null, null);
        assertThat(only(settings).connection().address()).hasToString("db.example.com:6432");
        assertThat(only(settings).connection().jdbcUrl())
            .isEqualTo("jdbc:postgresql://db.example.com:6432/orders?prepareThreshold=0");
    }

    @Test
    void timeLimitsBecomeSessionSettingsInMillisecondsAndUnsetOnesAreLeftOut() {
        this.properties.setUrl("jdbc:postgresql://db.example.com:6432/orders");
        assertThat(only(PostgresSettings.cluster(this.properties, null, null)).connection().sessionSettings())
            .isEmpty();
        this.properties.setStatementTimeout(Duration.ofSeconds(30));
        this.properties.setLockTimeout(Duration.ofNanos(500_000));
        this.properties.setIdleInTransactionSessionTimeout(Duration.ZERO);
        assertThat(only(PostgresSettings.cluster(this.properties, null, null)).connection().sessionSettings())
            .containsExactly(entry("statement_timeout", "30000"), entry("lock_timeout", "1"),
                    entry("idle_in_transaction_session_timeout", "0"));
    }

    @Test
    void aUrlWithoutHostOrPortUsesPgJdbcDefaults() {
        this.properties.setUrl("jdbc:postgresql:orders");
        assertThat(only(PostgresSettings.cluster(this.properties, null, null)).connection().address())
            .hasToString("localhost:5432");
    }

    @Test
    void anIpv6UrlKeepsOnePairOfBrackets() {
        this.properties.setUrl("jdbc:postgresql://[::1]:5433/orders");
        assertThat(only(PostgresSettings.cluster(this.properties, null, null)).connection().address())
            .hasToString("[::1]:5433");
    }

    @Test
    void hostPortAndDatabaseBuildTheUrl() {
        this.properties.setHost("db");
        this.properties.setPort(6543);
        this.properties.setDatabase("order book");
        PostgresSettings.Cluster settings = PostgresSettings.cluster(this.properties, null, null);
        assertThat(only(settings).connection().jdbcUrl()).isEqualTo("jdbc:postgresql://db:6543/order+book");
    }

    @Test
    void driverPropertiesCarryTimeoutsInWholeSecondsTheApplicationNameAndTls() {
        this.properties.setHost("db");
        this.properties.setConnectTimeout(Duration.ofMillis(1500));
        this.properties.setSocketTimeout(Duration.ofMillis(200));
        this.properties.setSslMode(SslMode.VERIFY_FULL);
        PostgresSettings.Cluster settings = PostgresSettings.cluster(this.properties, null, "orders");
        assertThat(only(settings).connection().driverProperties()).containsEntry("connectTimeout", "1")
            .containsEntry("loginTimeout", "1")
            .containsEntry("socketTimeout", "1")
            .containsEntry("ApplicationName", "orders")
            .containsEntry("sslmode", "verify-full");
    }

    @Test
    void theApplicationNameFallsBackToTheLibrarysName() {
        this.properties.setHost("db");
        assertThat(only(PostgresSettings.cluster(this.properties, null, null)).connection().driverProperties())
            .containsEntry("ApplicationName", "nexs-postgres")
            .doesNotContainKey("sslmode");
    }

    @Test
    void connectionDetailsReplaceUrlUserAndPassword() {
        this.properties.setUrl("jdbc:postgresql://ignored:5432/app");
        this.properties.setUsername("ignored");
        this.properties.setPassword("ignored");
        PostgresConnectionDetails details = details("jdbc:postgresql://container:32768/test");
        PostgresSettings.Cluster settings = PostgresSettings.cluster(this.properties, details, null);
        assertThat(only(settings).connection().address()).hasToString("container:32768");
        assertThat(only(settings).connection().username()).isEqualTo("svc");
        assertThat(only(settings).connection().password()).isEqualTo("from-details");
        assertThat(only(settings).connection().toString()).doesNotContain("from-details");
    }

    @Test
    void minIdleDefaultsToMaxSize() {
        this.properties.setHost("db");
        this.properties.getPool().setMaxSize(7);
        assertThat(only(PostgresSettings.cluster(this.properties, null, null)).pool().minIdle()).isEqualTo(7);
    }

    @Test
    void aUrlWithSeveralHostsGivesOneNodePerHostWithASingleHostUrl() {
        this.properties.setUrl("jdbc:postgresql://h1:5432,h2:5433/db?x=y");
        this.properties.setUsername("app");
        this.properties.setPassword("secret");
        List<NodeDefinition> nodes = PostgresSettings.cluster(this.properties, null, null).nodes();
        assertThat(nodes).extracting(NodeDefinition::name).containsExactly("h1:5432", "h2:5433");
        assertThat(nodes).extracting((node) -> node.connection().jdbcUrl())
            .containsExactly("jdbc:postgresql://h1:5432/db?x=y", "jdbc:postgresql://h2:5433/db?x=y");
        assertThat(nodes).allSatisfy((node) -> {
            assertThat(node.weight()).isEqualTo(1);
            assertThat(node.tags()).isEmpty();
            assertThat(node.connection().username()).isEqualTo("app");
            assertThat(node.connection().password()).isEqualTo("secret");
            assertThat(node.connection().driverProperties()).containsEntry("ApplicationName", "nexs-postgres");
        });
        assertThat(nodes.get(0).pool()).isEqualTo(nodes.get(1).pool());
    }

    @Test
    void hostsOfAUrlWithoutPortUse5432AndIpv6HostsKeepTheirBrackets() {
        this.properties.setUrl("jdbc:postgresql://[::1]:5433,db2/app");
        List<NodeDefinition> nodes = PostgresSettings.cluster(this.properties, null, null).nodes();
        assertThat(nodes).extracting(NodeDefinition::name).containsExactly("[::1]:5433", "db2:5432");
        assertThat(nodes).extracting((node) -> node.connection().address().host()).containsExactly("::1", "db2");
        assertThat(nodes).extracting((node) -> node.connection().jdbcUrl())
            .containsExactly("jdbc:postgresql://[::1]:5433/app", "jdbc:postgresql://db2:5432/app");
    }

    @Test
    void connectionDetailsWithSeveralHostsGiveSeveralNodes() {
        this.properties.setNodes(List.of(node("ignored:5432")));
        PostgresSettings.Cluster settings = PostgresSettings.cluster(this.properties,
                details("jdbc:postgresql://c1:32768,c2:32769/test"), null);
        assertThat(settings.nodes()).extracting(NodeDefinition::name).containsExactly("c1:32768", "c2:32769");
        assertThat(settings.nodes()).extracting((node) -> node.connection().jdbcUrl())
            .containsExactly("jdbc:postgresql://c1:32768/test", "jdbc:postgresql://c2:32769/test");
        assertThat(settings.nodes()).allSatisfy((node) -> assertThat(node.connection().username()).isEqualTo("svc"));
    }

    @Test
    void nodesShareTheDatabaseCredentialsAndDriverPropertiesAndOverrideTheirOwnPool() {
        PostgresSettings.Cluster settings = PostgresSettings.cluster(bind(Map.ofEntries(
                Map.entry("nexs.postgres.database", "order book"), Map.entry("nexs.postgres.username", "app"),
                Map.entry("nexs.postgres.password", "secret"), Map.entry("nexs.postgres.ssl-mode", "require"),
                Map.entry("nexs.postgres.pool.max-size", "10"), Map.entry("nexs.postgres.pool.min-idle", "2"),
                Map.entry("nexs.postgres.nodes[0].address", "pg-a.internal"),
                Map.entry("nexs.postgres.nodes[0].tags", "zone-a"),
                Map.entry("nexs.postgres.nodes[1].address", "[fd00::2]:6432"),
                Map.entry("nexs.postgres.nodes[1].name", "pg-b"), Map.entry("nexs.postgres.nodes[1].weight", "3"),
                Map.entry("nexs.postgres.nodes[1].tags", "zone-b,ssd"),
                Map.entry("nexs.postgres.nodes[1].pool.max-size", "4"),
                Map.entry("nexs.postgres.nodes[1].pool.min-idle", "1"),
                Map.entry("nexs.postgres.nodes[1].pool.connection-timeout", "8s"),
                Map.entry("nexs.postgres.nodes[1].pool.idle-timeout", "1m"),
                Map.entry("nexs.postgres.nodes[1].pool.max-lifetime", "0"))), null, "orders");
        List<NodeDefinition> nodes = settings.nodes();
        assertThat(nodes).extracting(NodeDefinition::name).containsExactly("pg-a.internal:5432", "pg-b");
        assertThat(nodes).extracting((node) -> node.connection().jdbcUrl()).containsExactly(
                "jdbc:postgresql://pg-a.internal:5432/order+book", "jdbc:postgresql://[fd00::2]:6432/order+book");
        assertThat(nodes).extracting(NodeDefinition::weight).containsExactly(1, 3);
        assertThat(nodes.get(0).tags()).containsExactly("zone-a");
        assertThat(nodes.get(1).tags()).containsExactlyInAnyOrder("zone-b", "ssd");
        assertThat(nodes).allSatisfy((node) -> {
            assertThat(node.connection().username()).isEqualTo("app");
            assertThat(node.connection().password()).isEqualTo("secret");
            assertThat(node.connection().driverProperties()).containsEntry("sslmode", "require")
                .containsEntry("ApplicationName", "orders");
        });
        PoolSettings global = nodes.get(0).pool();
        assertThat(global.maxSize()).isEqualTo(10);
        assertThat(global.minIdle()).isEqualTo(2);
        assertThat(global.connectionTimeout()).isEqualTo(Duration.ofSeconds(30));
        PoolSettings overridden = nodes.get(1).pool();
        assertThat(overridden.maxSize()).isEqualTo(4);
        assertThat(overridden.minIdle()).isEqualTo(1);
        assertThat(overridden.connectionTimeout()).isEqualTo(Duration.ofSeconds(8));
        assertThat(overridden.idleTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(overridden.maxLifetime()).isZero();
        assertThat(overridden).usingRecursiveComparison()
            .ignoringFields("maxSize", "minIdle", "connectionTimeout", "idleTimeout", "maxLifetime")
            .isEqualTo(global);
    }

    @Test
    void aNodesMinIdleFollowsItsOwnMaxSizeWhenNoMinIdleIsSet() {
        Node node = node("db1");
        node.getPool().setMaxSize(3);
        this.properties.setNodes(List.of(node, node("db2")));
        List<NodeDefinition> nodes = PostgresSettings.cluster(this.properties, null, null).nodes();
        assertThat(nodes).extracting((each) -> each.pool().minIdle()).containsExactly(3, 10);
    }

    @Test
    void theTopologyDefaultsAreTheLibrarys() {
        this.properties.setHost("db");
        assertThat(PostgresSettings.cluster(this.properties, null, null).topology())
            .isEqualTo(TopologySettings.defaults());
        TopologySettings defaults = TopologySettings.defaults();
        assertThat(defaults.readPreference()).isEqualTo(ReadPreference.SECONDARY_PREFERRED);
        assertThat(defaults.loadBalancing()).isEqualTo(LoadBalancing.ROUND_ROBIN);
        assertThat(defaults.maxLag()).isNull();
        assertThat(defaults.latencyWindow()).isEqualTo(Duration.ofMillis(15));
        assertThat(defaults.failoverEnabled()).isTrue();
        assertThat(defaults.checkInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(defaults.checkTimeout()).isEqualTo(Duration.ofMillis(700));
        assertThat(defaults.failureThreshold()).isEqualTo(2);
        assertThat(defaults.writeWaitTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(defaults.probeInterval()).isEqualTo(Duration.ofMillis(25));
        assertThat(defaults.consistency()).isEqualTo(ReadConsistency.READ_YOUR_WRITES);
        assertThat(defaults.readYourWritesWait()).isEqualTo(Duration.ofMillis(200));
        assertThat(defaults.readYourWritesWindow()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void replicaAndFailoverPropertiesGiveTheTopologySettings() {
        TopologySettings topology = PostgresSettings.cluster(bind("nexs.postgres.host=db",
                "nexs.postgres.replicas.read-preference=nearest", "nexs.postgres.replicas.load-balancing=weighted",
                "nexs.postgres.replicas.max-lag=5s", "nexs.postgres.replicas.latency-window=30ms",
                "nexs.postgres.failover.enabled=false", "nexs.postgres.failover.health-check-interval=2s",
                "nexs.postgres.failover.health-check-timeout=300ms", "nexs.postgres.failover.failure-threshold=3",
                "nexs.postgres.failover.write-wait-timeout=0s", "nexs.postgres.failover.probe-interval=50ms",
                "nexs.postgres.replicas.consistency=eventual", "nexs.postgres.replicas.read-your-writes-wait=0s",
                "nexs.postgres.replicas.read-your-writes-window=3s"),
                null, null)
            .topology();
        assertThat(topology).isEqualTo(new TopologySettings(ReadPreference.NEAREST, LoadBalancing.WEIGHTED,
                Duration.ofSeconds(5), Duration.ofMillis(30), false, Duration.ofSeconds(2), Duration.ofMillis(300),
                3, Duration.ZERO, Duration.ofMillis(50), ReadConsistency.EVENTUAL, Duration.ZERO,
                Duration.ofSeconds(3)));
    }

    @Test
    void nodesBindFromACommaSeparatedString() {
        NexsPostgresProperties bound = bind(Map.of("nexs.postgres.nodes", "db1:5432, db2,[::1]:5433"));
        assertThat(bound.getNodes()).extracting(Node::getAddress).containsExactly("db1:5432", "db2", "[::1]:5433");
        assertThat(PostgresSettings.cluster(bound, null, null).nodes()).extracting(NodeDefinition::name)
            .containsExactly("db1:5432", "db2:5432", "[::1]:5433");
    }

    @Test
    void nodesBindFromAYamlListOfStringsOfObjectsOrOfBoth() throws IOException {
        NexsPostgresProperties strings = bindYaml("""
                nexs:
                  postgres:
                    nodes:
                      - db1:5432
                      - db2:5433
                """);
        assertThat(strings.getNodes()).extracting(Node::getAddress).containsExactly("db1:5432", "db2:5433");
        NexsPostgresProperties mixed = bindYaml("""
                nexs:
                  postgres:
                    nodes:
                      - db1:5432
                      - address: "[::1]:5433"
                        name: local
                        weight: 2
                        tags: [zone-a, ssd]
                        pool:
                          max-size: 4
                          connection-timeout: 8s
                """);
        assertThat(mixed.getNodes()).extracting(Node::getAddress).containsExactly("db1:5432", "[::1]:5433");
        Node local = mixed.getNodes().get(1);
        assertThat(local.getName()).isEqualTo("local");
        assertThat(local.getWeight()).isEqualTo(2);
        assertThat(local.getTags()).containsExactly("zone-a", "ssd");
        assertThat(local.getPool().getMaxSize()).isEqualTo(4);
        assertThat(local.getPool().getConnectionTimeout()).isEqualTo(Duration.ofSeconds(8));
        assertThat(local.getPool().getMinIdle()).isNull();
        List<NodeDefinition> nodes = PostgresSettings.cluster(mixed, null, null).nodes();
        assertThat(nodes).extracting(NodeDefinition::name).containsExactly("db1:5432", "local");
        assertThat(nodes.get(1).pool().maxSize()).isEqualTo(4);
    }

    @Test
    void theAutoConfigurationRegistersTheConverterOfTheShortForm() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class))
            .withBean(DataSource.class, () -> mock(DataSource.class))
            .withPropertyValues("nexs.postgres.nodes=db1:5432,db2")
            .run((context) -> assertThat(context.getBean(NexsPostgresProperties.class).getNodes())
                .extracting(Node::getAddress)
                .containsExactly("db1:5432", "db2"));
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class))
            .withBean(DataSource.class, () -> mock(DataSource.class))
            .withPropertyValues("nexs.postgres.nodes[0]=db1:5432", "nexs.postgres.nodes[1].address=db2",
                    "nexs.postgres.nodes[1].weight=5")
            .run((context) -> assertThat(context.getBean(NexsPostgresProperties.class).getNodes())
                .extracting(Node::getAddress, Node::getWeight)
                .containsExactly(tuple("db1:5432", 1),
                        tuple("db2", 5)));
    }

    private static NodeDefinition only(PostgresSettings.Cluster settings) {
        assertThat(settings.nodes()).hasSize(1);
        return settings.nodes().get(0);
    }

    private static Node node(String address) {
        Node node = new Node();
        node.setAddress(address);
        return node;
    }

    private static NexsPostgresProperties bind(String... properties) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String property : properties) {
            int equals = property.indexOf('=');
            map.put(property.substring(0, equals), property.substring(equals + 1));
        }
        return bind(map);
    }

    private static NexsPostgresProperties bind(Map<String, String> properties) {
        return bind(List.of(new MapConfigurationPropertySource(properties)));
    }

    private static NexsPostgresProperties bindYaml(String yaml) throws IOException {
        return bind(ConfigurationPropertySources.from(new YamlPropertySourceLoader().load("test.yml",
                new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)))));
    }

    /** Binds as the application does, with the converter the auto-configuration registers. */
    private static NexsPostgresProperties bind(Iterable<ConfigurationPropertySource> sources) {
        ApplicationConversionService conversionService = new ApplicationConversionService();
        conversionService.addConverter(new StringToNodeConverter());
        return new Binder(sources, null, conversionService).bindOrCreate("nexs.postgres",
                NexsPostgresProperties.class);
    }

    private static PostgresConnectionDetails details(String url) {
        return new JdbcPostgresConnectionDetails(new JdbcConnectionDetails() {

            @Override
            public String getUsername() {
                return "svc";
            }

            @Override
            public String getPassword() {
                return "from-details";
            }

            @Override
            public String getJdbcUrl() {
                return url;
            }

        });
    }

}
