package io.nexs.postgres.autoconfigure.web;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.nexs.postgres.autoconfigure.NexsPostgresAutoConfiguration;
import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ReadConsistency;
import io.nexs.postgres.test.PostgresExtension;
import io.nexs.postgres.test.PostgresNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Spring MVC helper of read-your-writes: configured under read-your-writes (the default) with Spring MVC
 * present, and what its interceptor does with the header. The sample application's tests run it in a real web server.
 */
@ExtendWith(PostgresExtension.class)
class NexsPostgresWebMvcAutoConfigurationTests {

    private static PostgresNode node;

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NexsPostgresAutoConfiguration.class,
                NexsPostgresWebMvcAutoConfiguration.class))
        .withPropertyValues("nexs.postgres.url=" + node.jdbcUrl(), "nexs.postgres.username=" + node.username(),
                "nexs.postgres.pool.max-size=2", "nexs.postgres.pool.min-idle=1");

    @BeforeAll
    static void startNode(PostgresNode started) {
        node = started;
    }

    @Test
    void registersTheInterceptorByDefault() {
        this.contextRunner.run((context) -> assertThat(context).hasSingleBean(WebMvcConfigurer.class)
            .getBean(ConsistencyTokenInterceptor.class)
            .hasToString("ConsistencyTokenInterceptor[Nexs-Consistency-Token]"));
    }

    @Test
    void backsOffUnderEventualConsistency() {
        this.contextRunner.withPropertyValues("nexs.postgres.replicas.consistency=eventual")
            .run((context) -> assertThat(context).doesNotHaveBean(ConsistencyTokenInterceptor.class)
                .doesNotHaveBean(WebMvcConfigurer.class));
    }

    @Test
    void registersTheInterceptorUnderReadYourWritesHoweverItIsSpelt() {
        this.contextRunner.withPropertyValues("nexs.postgres.replicas.consistency=READ_YOUR_WRITES",
                "nexs.postgres.replicas.consistency-header=X-Token")
            .run((context) -> assertThat(context).hasSingleBean(WebMvcConfigurer.class)
                .getBean(ConsistencyTokenInterceptor.class)
                .hasToString("ConsistencyTokenInterceptor[X-Token]"));
    }

    @Test
    void backsOffWithoutSpringMvc() {
        this.contextRunner.withPropertyValues("nexs.postgres.replicas.consistency=read-your-writes")
            .withClassLoader(new FilteredClassLoader(HandlerInterceptor.class))
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(ConsistencyTokenInterceptor.class));
    }

    @Test
    void backsOffForAnInterceptorOfTheApplication() {
        this.contextRunner.withPropertyValues("nexs.postgres.replicas.consistency=read-your-writes")
            .withBean("ownInterceptor", ConsistencyTokenInterceptor.class, () -> new ConsistencyTokenInterceptor("T"))
            .run((context) -> {
                assertThat(context).getBean(ConsistencyTokenInterceptor.class)
                    .hasToString("ConsistencyTokenInterceptor[T]");
                // the application registers its own where it wants
                assertThat(context).doesNotHaveBean(WebMvcConfigurer.class);
            });
    }

    @Test
    void theRequestReadsFromTheTokenItBroughtAndTheResponseCarriesItsWrites() throws Exception {
        ConsistencyTokenInterceptor interceptor = new ConsistencyTokenInterceptor("Nexs-Consistency-Token");
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/orders/7");
        request.addHeader("Nexs-Consistency-Token", "0/3000148");
        MockHttpServletResponse response = new MockHttpServletResponse();
        // on a thread of its own, which wrote nothing before
        CompletableFuture.runAsync(() -> {
            interceptor.preHandle(request, response, new Object());
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isEqualTo(0x3000148);
            assertThat(response.getHeader("Nexs-Consistency-Token")).isEqualTo("0/3000148");
            ConsistencyScope.recordWrite(0x3000200);
            assertThat(response.getHeader("Nexs-Consistency-Token")).isEqualTo("0/3000200");
            interceptor.afterCompletion(request, response, new Object(), null);
            assertThat(ConsistencyScope.currentToken()).isEmpty();
        }, (work) -> new Thread(work).start()).get();
    }

    @Test
    void aRequestWithoutATokenGetsAScopeThatKeepsItsWritesUntilItEnds() throws Exception {
        ConsistencyTokenInterceptor interceptor = new ConsistencyTokenInterceptor("Nexs-Consistency-Token");
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/orders");
        MockHttpServletResponse response = new MockHttpServletResponse();
        // on a thread of its own, as a request on a server's pooled thread that wrote nothing before
        CompletableFuture.runAsync(() -> {
            interceptor.preHandle(request, response, new Object());
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isZero();
            assertThat(response.getHeader("Nexs-Consistency-Token")).isNull();
            // a write whose window is zero: the request's scope, not the thread's, keeps it
            ConsistencyScope.recordWrite(0x3000300, Duration.ZERO);
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isEqualTo(0x3000300);
            assertThat(response.getHeader("Nexs-Consistency-Token")).isEqualTo("0/3000300");
            interceptor.afterCompletion(request, response, new Object(), null);
            assertThat(ConsistencyScope.currentToken()).isEmpty();
        }, (work) -> new Thread(work).start()).get();
    }

    @Test
    void aHeaderThatIsNotATokenIsIgnored() throws Exception {
        ConsistencyTokenInterceptor interceptor = new ConsistencyTokenInterceptor("Nexs-Consistency-Token");
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/orders/7");
        request.addHeader("Nexs-Consistency-Token", "<script>");
        MockHttpServletResponse response = new MockHttpServletResponse();
        CompletableFuture.runAsync(() -> {
            interceptor.preHandle(request, response, new Object());
            assertThat(ConsistencyScope.requiredPosition(ReadConsistency.READ_YOUR_WRITES)).isZero();
            assertThat(response.getHeader("Nexs-Consistency-Token")).isNull();
            interceptor.afterCompletion(request, response, new Object(), null);
        }, (work) -> new Thread(work).start()).get();
    }

}
