package io.nexs.postgres.observe;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations nexs-postgres makes: one per query, statement, batch, {@code COPY} and transaction. With
 * Spring Boot's metrics each becomes a sample of the {@code db.query.duration} timer (Prometheus:
 * {@code db_query_duration_seconds}), and with its tracing a span following OpenTelemetry's database conventions.
 */
public enum PostgresObservationDocumentation implements ObservationDocumentation {

    /** A database operation. */
    OPERATION {

        @Override
        public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
            return DefaultPostgresObservationConvention.class;
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return LowCardinalityKeys.values();
        }

        @Override
        public KeyName[] getHighCardinalityKeyNames() {
            return HighCardinalityKeys.values();
        }

    };

    /** Keys that become metric tags as well as span attributes: few values each. */
    public enum LowCardinalityKeys implements KeyName {

        /** {@code query}, {@code exec}, {@code batch}, {@code copy} or {@code transaction}. */
        OPERATION {
            @Override
            public String asString() {
                return "operation";
            }
        },

        /** The node it ran on, {@code host:port}, or {@code none} when it never reached one. */
        NODE {
            @Override
            public String asString() {
                return "node";
            }
        },

        /** The node's role: {@code primary}, {@code replica} or {@code unknown}. */
        ROLE {
            @Override
            public String asString() {
                return "role";
            }
        },

        /** {@code success} or {@code error}. */
        OUTCOME {
            @Override
            public String asString() {
                return "outcome";
            }
        },

        /**
         * The name the application gave the query with a leading {@code /* name: ... *}{@code /} comment, or
         * {@code unnamed}; present only when {@code nexs.postgres.metrics.query-tag} is on.
         */
        QUERY {
            @Override
            public String asString() {
                return "query";
            }
        }

    }

    /** Keys of the span only, named as OpenTelemetry's database semantic conventions name them. */
    public enum HighCardinalityKeys implements KeyName {

        /** Always {@code postgresql}. */
        DB_SYSTEM_NAME {
            @Override
            public String asString() {
                return "db.system.name";
            }
        },

        /** The SQL command, for example {@code SELECT}, or {@code BATCH INSERT} and {@code TRANSACTION}. */
        DB_OPERATION_NAME {
            @Override
            public String asString() {
                return "db.operation.name";
            }
        },

        /** The database. */
        DB_NAMESPACE {
            @Override
            public String asString() {
                return "db.namespace";
            }
        },

        /** The node's host. */
        SERVER_ADDRESS {
            @Override
            public String asString() {
                return "server.address";
            }
        },

        /** The node's port. */
        SERVER_PORT {
            @Override
            public String asString() {
                return "server.port";
            }
        },

        /** The SQLSTATE of a failure. */
        DB_RESPONSE_STATUS_CODE {
            @Override
            public String asString() {
                return "db.response.status_code";
            }
        },

        /** The SQL with its literals removed; only when {@code nexs.postgres.tracing.include-sql} is on. */
        DB_QUERY_TEXT {
            @Override
            public String asString() {
                return "db.query.text";
            }
        }

    }

}
