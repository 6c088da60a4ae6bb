package io.nexs.postgres.observe;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.nexs.postgres.hook.HookContext;
import io.nexs.postgres.hook.Operation;
import io.nexs.postgres.hook.SqlText;
import io.nexs.postgres.observe.PostgresObservationDocumentation.HighCardinalityKeys;
import io.nexs.postgres.observe.PostgresObservationDocumentation.LowCardinalityKeys;
import io.nexs.postgres.pool.NodeAddress;
import io.nexs.postgres.topology.NodeRole;
import org.jspecify.annotations.Nullable;

/**
 * The default names and tags of database operations. Metric tags are few by construction: the operation kind,
 * node, role and outcome (and, when asked for, the query's name), never SQL text, values or tenants. The span
 * carries OpenTelemetry's database attributes, and the SQL with its literals removed only when asked for.
 */
public class DefaultPostgresObservationConvention implements PostgresObservationConvention {

    /** The observation's name, and the timer's: {@code db_query_duration_seconds} in Prometheus. */
    public static final String NAME = "db.query.duration";

    private static final String UNNAMED = "unnamed";

    private static final int MAX_STATEMENTS = 2048;

    private static final KeyValue SYSTEM = KeyValue.of(HighCardinalityKeys.DB_SYSTEM_NAME, "postgresql");

    private static final KeyValue SUCCESS = KeyValue.of(LowCardinalityKeys.OUTCOME, "success");

    private static final KeyValue ERROR = KeyValue.of(LowCardinalityKeys.OUTCOME, "error");

    private static final KeyValue NO_NODE = KeyValue.of(LowCardinalityKeys.NODE, "none");

    private static final KeyValue[] OPERATIONS = new KeyValue[Operation.values().length];

    private static final KeyValue[] ROLES = new KeyValue[NodeRole.values().length];

    static {
        for (Operation operation : Operation.values()) {
            OPERATIONS[operation.ordinal()] = KeyValue.of(LowCardinalityKeys.OPERATION, operation.label());
        }
        for (NodeRole role : NodeRole.values()) {
            ROLES[role.ordinal()] = KeyValue.of(LowCardinalityKeys.ROLE, role.label());
        }
    }

    private final @Nullable String database;

    private final boolean queryTag;

    private final boolean includeSql;

    private final Function<String, @Nullable NodeAddress> addresses;

    private final Map<String, NodeAddress> knownAddresses = new ConcurrentHashMap<>();

    private final Map<String, Statement> statements = new ConcurrentHashMap<>();

    private final Statement noSql;

    /**
     * Creates the convention with no database name, no query tag and no SQL text, for nodes named
     * {@code host:port}.
     */
    public DefaultPostgresObservationConvention() {
        this(null, false, false, (node) -> null);
    }

    /**
     * Creates the convention.
     * @param database the database, for {@code db.namespace}, or {@code null}
     * @param queryTag whether timers get a {@code query} tag with the query's name (or {@code unnamed})
     * @param includeSql whether spans get the SQL text, literals removed
     * @param addresses the address of a node by its name, or {@code null} when the name is {@code host:port}
     */
    public DefaultPostgresObservationConvention(@Nullable String database, boolean queryTag, boolean includeSql,
            Function<String, @Nullable NodeAddress> addresses) {
        this.database = database;
        this.queryTag = queryTag;
        this.includeSql = includeSql;
        this.addresses = addresses;
        this.noSql = new Statement(null);
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(PostgresObservationContext context) {
        HookContext operation = context.getOperation();
        return statement(operation.sql()).contextualNames[operation.operation().ordinal()];
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(PostgresObservationContext context) {
        HookContext operation = context.getOperation();
        NodeRole role = operation.role();
        int index = (operation.operation().ordinal() * ROLES.length + ((role != null) ? role : NodeRole.UNKNOWN).ordinal())
                * 2 + (operation.failed() ? 1 : 0);
        KeyValues[] low = statement(operation.sql()).on(operation.node()).low;
        KeyValues values = low[index];
        if (values == null) {
            values = KeyValues.of(OPERATIONS[operation.operation().ordinal()],
                    (operation.node() != null) ? KeyValue.of(LowCardinalityKeys.NODE, operation.node()) : NO_NODE,
                    ROLES[((role != null) ? role : NodeRole.UNKNOWN).ordinal()],
                    operation.failed() ? ERROR : SUCCESS);
            if (this.queryTag) {
                String name = SqlText.queryName(operation.sql());
                values = values.and(KeyValue.of(LowCardinalityKeys.QUERY, (name != null) ? name : UNNAMED));
            }
            low[index] = values;
        }
        return values;
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(PostgresObservationContext context) {
        HookContext operation = context.getOperation();
        Statement statement = statement(operation.sql());
        KeyValues[] high = statement.on(operation.node()).high;
        KeyValues values = high[operation.operation().ordinal()];
        if (values == null) {
            values = KeyValues.of(SYSTEM, KeyValue.of(HighCardinalityKeys.DB_OPERATION_NAME,
                    statement.operationNames[operation.operation().ordinal()]));
            if (this.database != null) {
                values = values.and(KeyValue.of(HighCardinalityKeys.DB_NAMESPACE, this.database));
            }
            NodeAddress address = (operation.node() != null) ? address(operation.node()) : null;
            if (address != null) {
                values = values.and(KeyValue.of(HighCardinalityKeys.SERVER_ADDRESS, address.host()),
                        KeyValue.of(HighCardinalityKeys.SERVER_PORT, Integer.toString(address.port())));
            }
            if (this.includeSql && operation.sql() != null) {
                values = values
                    .and(KeyValue.of(HighCardinalityKeys.DB_QUERY_TEXT, SqlText.normalize(operation.sql())));
            }
            high[operation.operation().ordinal()] = values;
        }
        if (operation.sqlState() != null) {
            values = values.and(KeyValue.of(HighCardinalityKeys.DB_RESPONSE_STATUS_CODE, operation.sqlState()));
        }
        return values;
    }

    /**
     * What this convention derives from a statement's text, kept for the texts an application runs (they are
     * constants of its code, so there are few); past {@value #MAX_STATEMENTS} texts, derived anew each time.
     */
    private Statement statement(@Nullable String sql) {
        if (sql == null) {
            return this.noSql;
        }
        Statement statement = this.statements.get(sql);
        if (statement == null) {
            statement = new Statement(sql);
            if (this.statements.size() < MAX_STATEMENTS) {
                this.statements.putIfAbsent(sql, statement);
            }
        }
        return statement;
    }

    private @Nullable NodeAddress address(String node) {
        NodeAddress known = this.knownAddresses.get(node);
        if (known != null) {
            return known;
        }
        NodeAddress address = this.addresses.apply(node);
        if (address == null) {
            int colon = node.lastIndexOf(':');
            if (colon <= 0) {
                return null;
            }
            String host = node.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                address = new NodeAddress(host, Integer.parseInt(node.substring(colon + 1)));
            }
            catch (IllegalArgumentException ex) {
                return null;
            }
        }
        this.knownAddresses.put(node, address);
        return address;
    }

    /** The names and key values of one statement text, per operation kind and node. */
    private final class Statement {

        final String[] operationNames = new String[Operation.values().length];

        final String[] contextualNames = new String[Operation.values().length];

        private final Map<String, NodeValues> nodes = new ConcurrentHashMap<>();

        Statement(@Nullable String sql) {
            String name = SqlText.queryName(sql);
            String command = SqlText.command(sql);
            for (Operation operation : Operation.values()) {
                // as OpenTelemetry names them: SELECT, BATCH INSERT, COPY, TRANSACTION
                String operationName = (operation == Operation.TRANSACTION || command == null)
                        ? operation.label().toUpperCase(Locale.ROOT)
                        : ((operation == Operation.BATCH) ? "BATCH " + command : command);
                this.operationNames[operation.ordinal()] = operationName;
                String database = DefaultPostgresObservationConvention.this.database;
                this.contextualNames[operation.ordinal()] = (name != null) ? name
                        : ((database != null) ? operationName + " " + database : operationName);
            }
        }

        NodeValues on(@Nullable String node) {
            String key = (node != null) ? node : "";
            NodeValues values = this.nodes.get(key);
            if (values == null) {
                values = new NodeValues();
                NodeValues raced = this.nodes.putIfAbsent(key, values);
                values = (raced != null) ? raced : values;
            }
            return values;
        }

    }

    /** Key values of a statement on one node, filled as they are first asked for. */
    private static final class NodeValues {

        final KeyValues[] low = new KeyValues[Operation.values().length * NodeRole.values().length * 2];

        final KeyValues[] high = new KeyValues[Operation.values().length];

    }

}
