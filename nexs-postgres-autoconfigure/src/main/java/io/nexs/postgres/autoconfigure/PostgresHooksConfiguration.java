package io.nexs.postgres.autoconfigure;

import io.nexs.postgres.hook.HookManager;
import io.nexs.postgres.hook.PostgresHook;
import io.nexs.postgres.hook.SlowQueryLogger;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.TransactionExecutionListener;

/**
 * The hook registry, the hook beans it collects, and the slow-query log.
 */
@Configuration(proxyBeanMethods = false)
class PostgresHooksConfiguration {

    /**
     * The hooks called around database work. Hook beans are registered once every singleton exists, so a hook
     * may depend on the provider it observes.
     * @param properties the properties
     * @return the hook manager
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    HookManager postgresHookManager(NexsPostgresProperties properties) {
        return PostgresSettings.hookManager(properties);
    }

    @Bean
    static SmartInitializingSingleton postgresHookRegistrar(ObjectProvider<HookManager> hookManager,
            ConfigurableListableBeanFactory beanFactory) {
        return () -> {
            HookManager manager = hookManager.getIfUnique();
            if (manager == null || manager == HookManager.none()) {
                return;
            }
            // at the order Spring gives each bean, which counts an @Order on its @Bean method too
            beanFactory.getBeansOfType(PostgresHook.class).forEach((name, hook) -> {
                if (beanFactory instanceof DefaultListableBeanFactory factory) {
                    manager.register(hook, factory.getOrder(name, hook));
                }
                else {
                    manager.register(hook);
                }
            });
        };
    }

    /**
     * Calls the transaction hooks; Spring Boot adds it to the application's transaction manager too, so
     * {@code @Transactional} work reaches them.
     * @param hookManager the hooks
     * @return the listener
     */
    @Bean
    TransactionExecutionListener postgresHookTransactionListener(HookManager hookManager) {
        return hookManager.transactionListener();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "nexs.postgres.hooks.slow-query", name = "threshold")
    SlowQueryLogger postgresSlowQueryLogger(NexsPostgresProperties properties) {
        return new SlowQueryLogger(PostgresSettings.slowQueryThreshold(properties));
    }

}
