package io.nexs.postgres.autoconfigure;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresProvider;
import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.PostgresTransactionManager;
import io.nexs.postgres.tx.Retrier;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizers;
import org.springframework.boot.transaction.jta.autoconfigure.JtaAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionManager;

/**
 * The application's {@code transactionManager} over the routed {@code dataSource}: a
 * {@link PostgresTransactionManager}, so {@code @Transactional} methods and {@code TransactionTemplate} get a
 * commit whose connection was lost settled (committed, did not commit, or unknown) instead of a failure that may
 * be wrong. It takes the place of Spring Boot's {@link JdbcTransactionManager}, customized the same way.
 *
 * <p>It runs after JPA's and JTA's auto-configurations and backs off when the application has any
 * {@link TransactionManager}: a JPA application keeps Spring Boot's {@code JpaTransactionManager}, and an
 * application that declares its own keeps it. It applies only when nexs-postgres opened the pools; with a test
 * database in place of the routed data source it defines Spring Boot's plain manager over that database.
 */
@AutoConfiguration(
        after = { NexsPostgresAutoConfiguration.class, TransactionManagerCustomizationAutoConfiguration.class,
                JtaAutoConfiguration.class },
        afterName = "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
        before = { DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class })
@ConditionalOnClass({ JdbcTransactionManager.class, TransactionManager.class })
@ConditionalOnProperty(prefix = "nexs.postgres", name = "enabled", matchIfMissing = true)
@ConditionalOnBean(PostgresProvider.class)
@ConditionalOnSingleCandidate(DataSource.class)
public final class NexsPostgresTransactionManagerAutoConfiguration {

    /**
     * The transaction manager. Lost commits are checked on the primary, counted in the retrier's
     * statistics, and checked at all only when {@code nexs.postgres.retry.verify-commit} is on.
     * @param dataSource the application's data source
     * @param provider the provider whose routed data source the application's is; its cluster's primary settles
     * lost commits
     * @param retrier the retry settings and statistics
     * @param beanFactory tells whether the data source is the routed one
     * @param customizers Spring Boot's transaction manager customizers
     * @return the transaction manager
     */
    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    JdbcTransactionManager transactionManager(DataSource dataSource, ObjectProvider<PostgresProvider> provider,
            Retrier retrier, ConfigurableListableBeanFactory beanFactory,
            ObjectProvider<TransactionManagerCustomizers> customizers) {
        JdbcTransactionManager transactionManager;
        if (PostgresPoolsConfiguration.isRoutedDataSource(beanFactory)) {
            DataSource primary = RoutingDataSource.primary(provider.getObject().topology());
            CommitOutcomeCheck commitCheck = new CommitOutcomeCheck(primary, retrier.settings().verifyCommitTimeout());
            transactionManager = new PostgresTransactionManager(dataSource, new SqlErrors(), commitCheck, retrier);
        }
        else {
            // a test database: asking the provider would open the pools the test slice keeps closed
            transactionManager = new JdbcTransactionManager(dataSource);
        }
        customizers.ifAvailable((each) -> each.customize(transactionManager));
        return transactionManager;
    }

}
