package io.nexs.postgres.test;

import java.lang.reflect.Parameter;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit Jupiter extension that injects {@link PostgresNode} and {@link PostgresCluster} parameters into test
 * methods, constructors and lifecycle methods.
 *
 * <p>Each test class gets one node (and one cluster per distinct {@link ClusterSpec}), started when first
 * needed and shared by all its tests; they are closed when the class is done, because the extension store
 * closes {@link AutoCloseable} values.
 *
 * <pre>{@code
 * @ExtendWith(PostgresExtension.class)
 * class RepositoryTests {
 *     @Test
 *     void saves(PostgresNode node) { ... }
 *
 *     @Test
 *     void replicates(@ClusterSpec(standbys = 1, synchronous = true) PostgresCluster cluster) { ... }
 * }
 * }</pre>
 */
public final class PostgresExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(
            PostgresExtension.class);

    /** Supports parameters of type {@link PostgresNode} and {@link PostgresCluster}. */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == PostgresNode.class || type == PostgresCluster.class;
    }

    /**
     * The node, or the cluster of the parameter's {@link ClusterSpec}, of the test class: started on first use and
     * closed with the class.
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Parameter parameter = parameterContext.getParameter();
        ExtensionContext.Store store = classContext(extensionContext).getStore(NAMESPACE);
        if (parameter.getType() == PostgresNode.class) {
            return store.computeIfAbsent(PostgresNode.class, (key) -> PostgresNode.start(), PostgresNode.class);
        }
        ClusterSpec spec = parameter.getAnnotation(ClusterSpec.class);
        int standbys = spec == null ? 1 : spec.standbys();
        boolean synchronous = spec != null && spec.synchronous();
        String key = PostgresCluster.class.getName() + ":" + standbys + ":" + synchronous;
        return store.computeIfAbsent(key, (ignored) -> PostgresCluster.builder().standbys(standbys)
                .synchronous(synchronous).start(), PostgresCluster.class);
    }

    /** The context of the test class, so that all tests of a class share the servers. */
    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        if (current.getTestClass().isEmpty()) {
            throw new ParameterResolutionException("PostgresExtension needs a test class context");
        }
        return current;
    }
}
