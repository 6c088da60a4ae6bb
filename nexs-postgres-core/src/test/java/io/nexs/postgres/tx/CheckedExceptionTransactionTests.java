package io.nexs.postgres.tx;

import java.io.IOException;
import java.sql.SQLException;

import com.zaxxer.hikari.HikariDataSource;
import io.nexs.postgres.PostgresTemplate;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import io.nexs.postgres.test.TcpProxy;
import io.nexs.postgres.tx.RetryTestSupport.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.transaction.support.TransactionSynchronizationManager;

import static io.nexs.postgres.TestTemplates.template;
import static io.nexs.postgres.tx.RetryTestSupport.WAIT;
import static io.nexs.postgres.tx.RetryTestSupport.pool;
import static io.nexs.postgres.tx.RetryTestSupport.retrier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

@ExtendWith(PostgresExtension.class)
/**
 * A callback that throws a checked exception past the compiler still ends its transaction.
 */
class CheckedExceptionTransactionTests {

    private static PostgresNode node;
    private static HikariDataSource dataSource;
    private static TcpProxy proxy;
    private static Admin admin;

    @BeforeAll
    static void start(PostgresNode n) throws SQLException {
        node = n;
        dataSource = pool(node, 4);
        proxy = TcpProxy.forNode(node);
        admin = new Admin(node);
    }

    @AfterAll
    static void stop() throws SQLException {
        proxy.close();
        dataSource.close();
        admin.close();
    }

    @SuppressWarnings("unchecked")
    static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /** A checked exception thrown past the compiler, as Kotlin or sneaky throws do. */
    @Test
    void aCheckedExceptionFromTheCallbackRollsBackAndLeavesNothingBound() {
        admin.execute("drop table if exists sneaky_rows");
        admin.execute("create table sneaky_rows (id int)");
        PostgresTemplate postgres = template(dataSource, retrier(3));
        Throwable failure = catchThrowable(() -> postgres.inTransaction((status) -> {
            postgres.exec("insert into sneaky_rows values (1)");
            throw sneaky(new IOException("checked"));
        }));
        assertThat(failure).isInstanceOf(java.lang.reflect.UndeclaredThrowableException.class)
            .hasCauseInstanceOf(IOException.class);
        boolean leaked = TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(dataSource) != null;
        // a later, independent transaction on the same thread commits on its own
        postgres.inTransaction((status) -> postgres.exec("insert into sneaky_rows values (2)"));
        long committed = admin.count("sneaky_rows");
        int active = dataSource.getHikariPoolMXBean().getActiveConnections();
        assertThat(leaked).isFalse();
        assertThat(active).isZero();
        assertThat(committed).isEqualTo(1);
        assertThat(admin.count("sneaky_rows where id = 1")).isZero();
    }

    /** A SELECT of a function that writes is treated as read-only and sent again after its answer was lost. */

}
