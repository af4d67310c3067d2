package io.resnetservice.web;

import io.resnetservice.config.ResnetProperties;
import io.resnetservice.security.ApiKeys;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
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
 *
 * <p>The model repository ({@code /v2/repository/**}) takes admin keys ({@code resnet.security.admin-keys})
 * and nothing else: 401 without a key or with an unknown one, 403 with an inference key.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeyFilter extends OncePerRequestFilter {

    static final String REPOSITORY = "/v2/repository";

    private final ApiKeys keys;
    private final TraceIds traceIds;

    public ApiKeyFilter(ResnetProperties properties, TraceIds traceIds) {
        this.traceIds = traceIds;
        this.keys = new ApiKeys(properties.security());
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = path(request);
        if (repository(path)) {
            return false; // without admin keys the routes do not exist; with them, only they open them
        }
        boolean inference = path.startsWith("/api/") || (path.startsWith("/v2") && !path.startsWith("/v2/health"));
        return keys.inferenceOpen() || !inference;
    }

    private static String path(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }

    /** A raw request URI with dot segments, escaped dots or separators, or a backslash. */
    static boolean dotOrEncodedSegments(String rawUri) {
        String uri = rawUri.toLowerCase(java.util.Locale.ROOT);
        return uri.contains("/./") || uri.contains("/../") || uri.endsWith("/.") || uri.endsWith("/..")
                || uri.contains("%2e") || uri.contains("%2f") || uri.contains("%5c") || uri.contains("%00")
                || uri.contains("\\");
    }

    private static boolean repository(String path) {
        return path.equals(REPOSITORY) || path.startsWith(REPOSITORY + "/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = ApiKeys.presented(request.getHeader("X-API-Key"), request.getHeader("Authorization"));
        if (repository(path(request))) {
            ApiKeys.Access access = keys.of(presented);
            if (!keys.repositoryOpen()) {
                chain.doFilter(request, response); // no such routes: the 404 of any unknown path
            } else if (access == ApiKeys.Access.ADMIN) {
                if (dotOrEncodedSegments(request.getRequestURI())) {
                    // The server would resolve "..", "." and escapes before routing: refuse them as sent.
                    refuse(response, HttpStatus.BAD_REQUEST, "bad-model-name", "Bad model name",
                            "a model is named by its folder directly under the model folder, never by a path");
                } else {
                    chain.doFilter(request, response);
                }
            } else if (access == ApiKeys.Access.INFERENCE) {
                refuse(response, HttpStatus.FORBIDDEN, "forbidden", "Forbidden",
                        "the model repository needs an admin key (resnet.security.admin-keys), not an inference key");
            } else {
                refuse(response, HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized",
                        "send an admin key as X-API-Key or Authorization: Bearer");
            }
            return;
        }
        if (keys.inference(presented)) {
            chain.doFilter(request, response);
            return;
        }
        refuse(response, HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized",
                "send a valid API key as X-API-Key or Authorization: Bearer");
    }

    private void refuse(HttpServletResponse response, HttpStatus status, String type, String title, String detail)
            throws IOException {
        response.setStatus(status.value());
        if (status == HttpStatus.UNAUTHORIZED) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        String traceId = traceIds.current();
        response.getWriter().write("{\"type\":\"/problems/" + type + "\",\"title\":\"" + title + "\",\"status\":"
                + status.value() + ",\"detail\":\"" + detail + "\""
                + (traceId == null ? "" : ",\"" + TraceIds.MEMBER + "\":\"" + traceId + "\"") + "}");
    }
}
