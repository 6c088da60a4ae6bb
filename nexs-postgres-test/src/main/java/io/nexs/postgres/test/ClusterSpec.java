package io.nexs.postgres.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Shape of the {@link PostgresCluster} that {@link PostgresExtension} injects into the annotated parameter.
 * Without it a cluster has one asynchronous standby.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface ClusterSpec {

    /** Number of streaming standbys. */
    int standbys() default 1;

    /** Whether {@code standby1} is a synchronous standby. */
    boolean synchronous() default false;
}
