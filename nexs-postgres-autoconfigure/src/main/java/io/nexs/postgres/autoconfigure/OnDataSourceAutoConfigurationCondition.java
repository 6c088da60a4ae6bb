package io.nexs.postgres.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches unless the application excludes Spring Boot's {@link DataSourceAutoConfiguration}, with
 * {@code @SpringBootApplication(exclude = ...)}, {@code @EnableAutoConfiguration(exclude = ...)},
 * {@code @ImportAutoConfiguration(exclude = ...)} or {@code spring.autoconfigure.exclude}. An application that
 * excludes it says it wants no auto-configured {@code DataSource} (a web test without a database is the common
 * case), so nexs-postgres then opens no pools either, without the application having to name our classes.
 */
class OnDataSourceAutoConfigurationCondition extends SpringBootCondition {

    private static final String DATA_SOURCE_AUTO_CONFIGURATION = DataSourceAutoConfiguration.class.getName();

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        ConditionMessage.Builder message = ConditionMessage.forCondition("DataSourceAutoConfiguration included");
        if (excludedByAnnotation(context.getBeanFactory()) || excludedByProperty(context)) {
            return ConditionOutcome.noMatch(message.because("the application excludes "
                    + DATA_SOURCE_AUTO_CONFIGURATION + ", so it wants no auto-configured DataSource"));
        }
        return ConditionOutcome.match(message.because("the application does not exclude "
                + DATA_SOURCE_AUTO_CONFIGURATION));
    }

    private static boolean excludedByAnnotation(ConfigurableListableBeanFactory beanFactory) {
        // the auto-configuration import selectors record every exclusion before the imported classes are parsed
        return beanFactory != null
                && ConditionEvaluationReport.get(beanFactory).getExclusions().contains(DATA_SOURCE_AUTO_CONFIGURATION);
    }

    private static boolean excludedByProperty(ConditionContext context) {
        return Binder.get(context.getEnvironment())
            .bind("spring.autoconfigure.exclude", Bindable.listOf(String.class))
            .orElse(List.of())
            .stream()
            .map(String::trim)
            .anyMatch(DATA_SOURCE_AUTO_CONFIGURATION::equals);
    }

}
