/**
 * Spring Boot auto-configuration of nexs-postgres: the {@code nexs.postgres.*} properties, the beans
 * built from them and the failure analyzers that explain bad values.
 */
@NullMarked
package io.nexs.postgres.autoconfigure;

import org.jspecify.annotations.NullMarked;
