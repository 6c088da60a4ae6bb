package io.nexs.postgres.autoconfigure;

import javax.sql.DataSource;

import io.nexs.postgres.PostgresOperations;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.query.RowMappers;
import io.nexs.postgres.tx.Retrier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The query API for an application that keeps a {@link DataSource} of its own, so nexs-postgres opens no pool
 * and defines no {@code PostgresProvider}: a {@link PostgresTemplate} over that data source. Backs off when any
 * {@link PostgresOperations} bean exists, the provider included.
 */
@AutoConfiguration(after = { NexsPostgresAutoConfiguration.class, DataSourceAutoConfiguration.class })
@ConditionalOnProperty(prefix = "nexs.postgres", name = "enabled", matchIfMissing = true)
@ConditionalOnBean(RowMappers.class)
@ConditionalOnSingleCandidate(DataSource.class)
public final class NexsPostgresTemplateAutoConfiguration {

    private static final Logger logger = LoggerFactory.getLogger(NexsPostgresTemplateAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean(PostgresOperations.class)
    PostgresTemplate postgresTemplate(DataSource dataSource, RowMappers rowMappers,
            NexsPostgresProperties properties, HookManager hooks, Retrier retrier) {
        logger.debug("The application defines its own DataSource ({}): nexs-postgres opens no pool, routes nothing "
                + "and monitors no node; PostgresTemplate runs the query API over that DataSource",
                dataSource.getClass().getName());
        PostgresTemplate template = new PostgresTemplate(dataSource, rowMappers,
                PostgresSettings.fetchSize(properties), hooks, retrier);
        template.setCopyDefaults(PostgresSettings.copyDefaults(properties));
        return template;
    }

}
