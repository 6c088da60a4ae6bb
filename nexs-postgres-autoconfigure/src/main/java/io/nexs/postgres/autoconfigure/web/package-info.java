/**
 * Auto-configuration for Spring MVC applications: the consistency token of read-your-writes carried in an HTTP
 * header. Applies only when Spring MVC is on the class path; nothing outside this package refers to it.
 */
@NullMarked
package io.nexs.postgres.autoconfigure.web;

import org.jspecify.annotations.NullMarked;
