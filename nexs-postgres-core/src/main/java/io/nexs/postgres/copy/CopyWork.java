package io.nexs.postgres.copy;

import java.sql.Connection;
import java.sql.SQLException;

/** What one {@code COPY} statement of a load sends on its connection. */
@FunctionalInterface
interface CopyWork {

    long send(Connection connection, CopyAttempt attempt) throws SQLException;

}
