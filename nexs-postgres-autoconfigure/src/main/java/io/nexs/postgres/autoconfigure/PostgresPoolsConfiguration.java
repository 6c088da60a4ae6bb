package io.nexs.postgres.autoconfigure;

import java.util.Set;

import javax.sql.DataSource;
import javax.sql.XADataSource;

import org.springframework.aot.AotDetector;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.type.MethodMetadata;

/**
 * The cluster, the provider, the routed {@link DataSource} and the notification listener container: only when the
 * application has no data source of its own and does not exclude Spring Boot's
 * {@link DataSourceAutoConfiguration}. The imported configurations are parsed before this one's condition would
 * see the {@code dataSource} they define, as with Spring Boot's own pooled data source configuration.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingBean({ DataSource.class, XADataSource.class })
@Conditional(OnDataSourceAutoConfigurationCondition.class)
@Import({ PostgresClusterConfiguration.class, PostgresProviderConfiguration.class,
        PostgresDataSourceConfiguration.class, PostgresNotificationConfiguration.class })
class PostgresPoolsConfiguration {

    /** The beans that open pools: made lazy when a test database takes the routed data source's place. */
    private static final Set<String> POOL_OWNERS = Set.of(PostgresProviderConfiguration.PROVIDER,
            PostgresClusterConfiguration.CLUSTER);

    /**
     * Creates the provider and the cluster only on demand when a test has put an embedded database in place of
     * the routed {@code dataSource} ({@code @AutoConfigureTestDatabase}, whose processor replaces that bean
     * definition before this runs): a test slice on an embedded database then opens no pool to the configured
     * servers, which the test machine may not reach, while a bean of the application that asks for the provider
     * still gets it.
     * @return the post-processor
     */
    @Bean
    static BeanFactoryPostProcessor postgresProviderOnDemandWhenTheDataSourceIsReplaced() {
        return (beanFactory) -> {
            // AOT-generated definitions carry no factory method metadata, and no test database replaces any
            if (AotDetector.useGeneratedArtifacts()) {
                return;
            }
            String dataSource = PostgresDataSourceConfiguration.DATA_SOURCE;
            if (beanFactory.containsBeanDefinition(dataSource)
                    && !isDefinedHere(beanFactory.getBeanDefinition(dataSource))) {
                for (String name : POOL_OWNERS) {
                    if (beanFactory.containsBeanDefinition(name)) {
                        beanFactory.getBeanDefinition(name).setLazyInit(true);
                    }
                }
            }
        };
    }

    /**
     * Whether the application's {@code dataSource} is the routed one defined here, and not one a test database put
     * in its place.
     * @param beanFactory the bean factory
     * @return whether the routed data source is the application's
     */
    static boolean isRoutedDataSource(ConfigurableListableBeanFactory beanFactory) {
        String dataSource = PostgresDataSourceConfiguration.DATA_SOURCE;
        // AOT-generated definitions carry no factory method metadata, and no test database replaces any
        return AotDetector.useGeneratedArtifacts() || (beanFactory.containsBeanDefinition(dataSource)
                && isDefinedHere(beanFactory.getBeanDefinition(dataSource)));
    }

    private static boolean isDefinedHere(BeanDefinition definition) {
        MethodMetadata factoryMethod = (definition instanceof AnnotatedBeanDefinition annotated)
                ? annotated.getFactoryMethodMetadata() : null;
        return factoryMethod != null
                && factoryMethod.getDeclaringClassName().equals(PostgresDataSourceConfiguration.class.getName());
    }

}
