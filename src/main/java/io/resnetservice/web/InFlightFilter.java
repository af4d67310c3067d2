package io.resnetservice.web;

import io.resnetservice.serving.ServiceLoad;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Counts inference requests (POSTs to {@code /api/**} and {@code /v2/**}) in {@link ServiceLoad} from the
 * moment their headers arrive, before the body is read, until they are answered: the batch workers see
 * requests on their way before those reach a queue.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class InFlightFilter extends OncePerRequestFilter {

    private final ServiceLoad load;

    public InFlightFilter(ServiceLoad load) {
        this.load = load;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !"POST".equals(request.getMethod()) || !(path.startsWith("/api/") || path.startsWith("/v2/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try (ServiceLoad.Arrival arrival = load.arrive()) {
            chain.doFilter(request, response);
        }
    }
}
