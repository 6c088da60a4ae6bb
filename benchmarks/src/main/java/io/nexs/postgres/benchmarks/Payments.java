package io.nexs.postgres.benchmarks;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import io.nexs.postgres.DefaultPostgresProvider;
import io.nexs.postgres.error.SqlErrors;
import io.nexs.postgres.topology.RoutingDataSource;
import io.nexs.postgres.tx.CommitOutcomeCheck;
import io.nexs.postgres.tx.PostgresTransactionManager;
import io.nexs.postgres.tx.Retrier;
import io.nexs.postgres.tx.RetrySettings;

import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

/**
 * The {@code @Transactional} service of the {@code overhead} benchmark's write transactions: each method inserts one
 * row with {@code JdbcTemplate} in a transaction of its own, one method per transaction manager. It lives in a
 * small annotation-config Spring context ({@link #context}) wired as the auto-configuration wires an application:
 * the {@code transactionManager} is a {@link PostgresTransactionManager} over the provider's routed
 * {@code DataSource}, settling lost commits on the cluster's primary, and the service is a class-based proxy, as
 * Spring Boot makes them ({@code spring.aop.proxy-target-class=true}).
 */
class Payments {

    /** The one-row write every contender makes, by hand or through the service. */
    static final String INSERT = "insert into payment (customer_id, amount) values (?, ?)";

    /** The amount every payment carries. */
    static final BigDecimal AMOUNT = new BigDecimal("12.50");

    private final JdbcTemplate plain;

    private final JdbcTemplate routed;

    private final JdbcTemplate unverified;

    private final JdbcTemplate other;

    private final JdbcTemplate otherUnverified;

    /**
     * Creates the service.
     * @param plain over the plain HikariCP pool
     * @param routed over the routed data source of the provider with the defaults
     * @param unverified over the routed data source of the provider with {@code verify-commit} off
     * @param other over the routed data source of the provider with the other consistency
     * @param otherUnverified over the routed data source of the provider with the other consistency and
     * {@code verify-commit} off
     */
    Payments(JdbcTemplate plain, JdbcTemplate routed, JdbcTemplate unverified, JdbcTemplate other,
            JdbcTemplate otherUnverified) {
        this.plain = plain;
        this.routed = routed;
        this.unverified = unverified;
        this.other = other;
        this.otherUnverified = otherUnverified;
    }

    /**
     * Spring's own {@code JdbcTransactionManager} on the plain pool: what an application without nexs-postgres gets.
     * @param customer the customer paying
     * @return rows inserted
     */
    @Transactional(transactionManager = "plainTransactionManager")
    public int payPlain(long customer) {
        return this.plain.update(INSERT, customer, AMOUNT);
    }

    /**
     * The application's {@code transactionManager}, as the auto-configuration makes it, on the routed data source.
     * @param customer the customer paying
     * @return rows inserted
     */
    @Transactional
    public int pay(long customer) {
        return this.routed.update(INSERT, customer, AMOUNT);
    }

    /**
     * The same with {@code nexs.postgres.retry.verify-commit=false}: commits are not recorded, so not settled.
     * @param customer the customer paying
     * @return rows inserted
     */
    @Transactional(transactionManager = "unverifiedTransactionManager")
    public int payUnverified(long customer) {
        return this.unverified.update(INSERT, customer, AMOUNT);
    }

    /**
     * The application's transaction manager on the routed data source of the provider with the other consistency.
     * @param customer the customer paying
     * @return rows inserted
     */
    @Transactional(transactionManager = "otherTransactionManager")
    public int payOther(long customer) {
        return this.other.update(INSERT, customer, AMOUNT);
    }

    /**
     * The same on the provider with the other consistency and {@code verify-commit} off.
     * @param customer the customer paying
     * @return rows inserted
     */
    @Transactional(transactionManager = "otherUnverifiedTransactionManager")
    public int payOtherUnverified(long customer) {
        return this.otherUnverified.update(INSERT, customer, AMOUNT);
    }

    /**
     * Turns on annotation-driven transactions with class-based proxies, as Spring Boot does.
     */
    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement(proxyTargetClass = true)
    static class Transactions {

    }

    /**
     * Starts the context. The caller closes it, and the providers and the pool after it.
     * @param plain the plain HikariCP pool
     * @param routed the provider with the defaults
     * @param unverified the provider whose retrier has {@code verify-commit} off
     * @param other the provider with the other consistency
     * @param otherUnverified the provider with the other consistency whose retrier has {@code verify-commit} off
     * @return the started context, whose {@link Payments} bean is the proxied service
     */
    static AnnotationConfigApplicationContext context(DataSource plain, DefaultPostgresProvider routed,
            DefaultPostgresProvider unverified, DefaultPostgresProvider other, DefaultPostgresProvider otherUnverified) {
        AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
        context.register(Transactions.class);
        context.registerBean("plainTransactionManager", JdbcTransactionManager.class,
                () -> new JdbcTransactionManager(plain));
        context.registerBean("transactionManager", PostgresTransactionManager.class,
                () -> transactionManager(routed), (definition) -> definition.setPrimary(true));
        context.registerBean("unverifiedTransactionManager", PostgresTransactionManager.class,
                () -> transactionManager(unverified));
        context.registerBean("otherTransactionManager", PostgresTransactionManager.class,
                () -> transactionManager(other));
        context.registerBean("otherUnverifiedTransactionManager", PostgresTransactionManager.class,
                () -> transactionManager(otherUnverified));
        context.registerBean(Payments.class, () -> new Payments(new JdbcTemplate(plain),
                new JdbcTemplate(routed.dataSource()), new JdbcTemplate(unverified.dataSource()),
                new JdbcTemplate(other.dataSource()), new JdbcTemplate(otherUnverified.dataSource())));
        context.refresh();
        return context;
    }

    /**
     * As {@code NexsPostgresTransactionManagerAutoConfiguration} builds the {@code transactionManager} bean, with the
     * retrier the provider has (the application's one {@code postgresRetrier}): its settings decide whether the
     * provider's primary connections record and settle commits.
     */
    private static PostgresTransactionManager transactionManager(DefaultPostgresProvider provider) {
        Retrier retrier = provider.getRetrier();
        RetrySettings settings = retrier.settings();
        CommitOutcomeCheck commitCheck = new CommitOutcomeCheck(RoutingDataSource.primary(provider.topology()),
                settings.verifyCommitTimeout());
        return new PostgresTransactionManager(provider.dataSource(), new SqlErrors(), commitCheck, retrier);
    }

    /**
     * The same one-row transaction by hand on a plain pool: the limit.
     * @param dataSource the pool
     * @param customer the customer paying
     * @return rows inserted
     * @throws SQLException when PostgreSQL refuses
     */
    static int payByHand(DataSource dataSource, long customer) throws SQLException {
        return payByHand(dataSource, customer, false);
    }

    /**
     * The same one-row transaction by hand, recording it for the commit check first when asked: what the round
     * trip that settling adds costs, without Spring and routing.
     * @param dataSource the pool
     * @param customer the customer paying
     * @param record whether to call {@link CommitOutcomeCheck#record} before {@code commit()}
     * @return rows inserted
     * @throws SQLException when PostgreSQL refuses
     */
    static int payByHand(DataSource dataSource, long customer, boolean record) throws SQLException {
        // the pool turns auto-commit back on when the connection returns, which sends nothing
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            int rows;
            try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
                statement.setLong(1, customer);
                statement.setBigDecimal(2, AMOUNT);
                rows = statement.executeUpdate();
            }
            if (record && CommitOutcomeCheck.record(connection) == null) {
                throw new IllegalStateException("the transaction wrote and has no id");
            }
            connection.commit();
            return rows;
        }
    }

    /**
     * Creates the empty table all contenders write to.
     * @param dataSource where
     * @throws SQLException when PostgreSQL refuses
     */
    static void createTable(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("drop table if exists payment");
            statement.execute("""
                    create table payment (
                        id bigserial primary key,
                        customer_id bigint not null,
                        amount numeric(12,2) not null,
                        paid_at timestamptz not null default now()
                    )""");
        }
    }

    /**
     * What a commit waits for on this server, as the server says.
     * @param dataSource the server
     * @return its {@code fsync}, {@code synchronous_commit} and {@code full_page_writes}
     * @throws SQLException when PostgreSQL refuses
     */
    static String durability(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select current_setting('fsync'), "
                        + "current_setting('synchronous_commit'), current_setting('full_page_writes')")) {
            rs.next();
            return "fsync=" + rs.getString(1) + ", synchronous_commit=" + rs.getString(2) + ", full_page_writes="
                    + rs.getString(3);
        }
    }

    /**
     * Counts the rows written so far.
     * @param dataSource where
     * @return the rows of the table
     * @throws SQLException when PostgreSQL refuses
     */
    static long count(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("select count(*) from payment")) {
            rs.next();
            return rs.getLong(1);
        }
    }

}
