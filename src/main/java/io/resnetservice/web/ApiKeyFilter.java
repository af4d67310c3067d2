package io.resnetservice.web;

import io.resnetservice.config.ResnetProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Optional API keys for the inference endpoints ({@code /api/**} and {@code /v2/**} but its health
 * probes). Off while {@code resnet.security.api-keys} is empty; health, metrics, the console and the demo
 * page are never covered. Keys come as {@code X-API-Key: KEY} or {@code Authorization: Bearer KEY}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter extends OncePerRequestFilter {

    private final List<byte[]> keys;
    private final TraceIds traceIds;

    public ApiKeyFilter(ResnetProperties properties, TraceIds traceIds) {
        this.traceIds = traceIds;
        this.keys = properties.security().apiKeys().stream()
                .filter(k -> !k.isBlank())
                .map(k -> k.getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        boolean inference = path.startsWith("/api/") || (path.startsWith("/v2") && !path.startsWith("/v2/health"));
        return keys.isEmpty() || !inference;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (matches(presented(request))) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpStatus.UNAUTHORIZED.value());
        response.setHeader("WWW-Authenticate", "Bearer");
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        String traceId = traceIds.current();
        response.getWriter().write("{\"type\":\"/problems/unauthorized\",\"title\":\"Unauthorized\",\"status\":401,"
                + "\"detail\":\"send a valid API key as X-API-Key or Authorization: Bearer\""
                + (traceId == null ? "" : ",\"" + TraceIds.MEMBER + "\":\"" + traceId + "\"") + "}");
    }

    private static String presented(HttpServletRequest request) {
        String key = request.getHeader("X-API-Key");
        if (key != null) {
            return key;
        }
        String auth = request.getHeader("Authorization");
        return auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : null;
    }

    private boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        byte[] candidate = presented.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            // Constant time per key, so response timing does not reveal how much of a key was right.
            match |= MessageDigest.isEqual(key, candidate);
        }
        return match;
    }
}
