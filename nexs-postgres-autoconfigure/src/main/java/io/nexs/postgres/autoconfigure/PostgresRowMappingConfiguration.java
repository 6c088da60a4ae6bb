package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.query.JacksonJsonCodec;
import io.nexs.postgres.query.JsonCodec;
import io.nexs.postgres.query.RowMappers;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The row mappers, and the JSON codec they use for {@code json}/{@code jsonb} columns when Jackson is present.
 */
@Configuration(proxyBeanMethods = false)
class PostgresRowMappingConfiguration {

    @Bean
    @ConditionalOnMissingBean
    RowMappers postgresRowMappers(NexsPostgresProperties properties, ObjectProvider<JsonCodec> json) {
        return new RowMappers(properties.getQuery().getUnmappedColumns(), json.getIfAvailable());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(JsonMapper.class)
    static class JacksonConfiguration {

        @Bean
        @ConditionalOnMissingBean
        JsonCodec postgresJsonCodec(ObjectProvider<JsonMapper> jsonMapper) {
            return new JacksonJsonCodec(jsonMapper.getIfAvailable(JsonMapper::new));
        }

    }

}
