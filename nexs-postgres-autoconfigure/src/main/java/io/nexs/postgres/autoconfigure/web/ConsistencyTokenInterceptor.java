package io.nexs.postgres.autoconfigure.web;

import java.util.Objects;

import io.nexs.postgres.consistency.ConsistencyScope;
import io.nexs.postgres.consistency.ConsistencyToken;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.web.servlet.AsyncHandlerInterceptor;

/**
 * Gives each request a read-your-writes {@link ConsistencyScope} that starts from the {@link ConsistencyToken} in
 * a request header, and puts the scope's token in the same response header: as soon as a write of the request
 * commits, so the header is set before the body is written. A client that sends back the last token it received
 * reads its own writes on whichever instance serves the next request:
 * <pre>
 * POST /api/orders                          201 Created
 *                                           Nexs-Consistency-Token: 0/3000148
 * GET /api/orders/7
 * Nexs-Consistency-Token: 0/3000148         200 OK (from a replica that has replayed 0/3000148, or the primary)
 * </pre>
 * A header that is not a token is ignored: the request reads as if none was sent.
 */
public class ConsistencyTokenInterceptor implements AsyncHandlerInterceptor {

    private static final Logger logger = LoggerFactory.getLogger(ConsistencyTokenInterceptor.class);

    private static final String SCOPE = ConsistencyTokenInterceptor.class.getName() + ".scope";

    private final String header;

    /**
     * Creates the interceptor.
     * @param header the name of the header that carries the token, both ways
     */
    public ConsistencyTokenInterceptor(String header) {
        this.header = Objects.requireNonNull(header, "header");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        ConsistencyToken token = token(request.getHeader(this.header));
        ConsistencyScope scope = ConsistencyScope.open(token);
        if (token != null) {
            response.setHeader(this.header, token.toString());
        }
        scope.onAdvance((advanced) -> {
            if (!response.isCommitted()) {
                response.setHeader(this.header, advanced.toString());
            }
        });
        request.setAttribute(SCOPE, scope);
        return true;
    }

    private @Nullable ConsistencyToken token(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return ConsistencyToken.parse(value.trim());
        }
        catch (IllegalArgumentException ex) {
            logger.debug("Ignoring a {} header that is not a consistency token", this.header);
            return null;
        }
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
            @Nullable Exception ex) {
        close(request);
    }

    /** The request goes on on another thread: the scope belongs to this one. */
    @Override
    public void afterConcurrentHandlingStarted(HttpServletRequest request, HttpServletResponse response,
            Object handler) {
        close(request);
    }

    private static void close(HttpServletRequest request) {
        if (request.getAttribute(SCOPE) instanceof ConsistencyScope scope) {
            request.removeAttribute(SCOPE);
            scope.close();
        }
    }

    @Override
    public String toString() {
        return "ConsistencyTokenInterceptor[" + this.header + "]";
    }

}
