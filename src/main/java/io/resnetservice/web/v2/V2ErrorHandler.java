package io.resnetservice.web.v2;

import io.resnetservice.image.ImageException;
import io.resnetservice.serving.BatchingExecutor;
import io.resnetservice.web.TraceIds;
import java.util.Map;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** The v2 protocol's error shape, {@code {"error": "..."}}, for everything under {@code /v2}. */
@Order(Ordered.HIGHEST_PRECEDENCE)
@RestControllerAdvice(assignableTypes = V2Controller.class)
public class V2ErrorHandler {

    private final TraceIds traceIds;

    public V2ErrorHandler(TraceIds traceIds) {
        this.traceIds = traceIds;
    }

    @ExceptionHandler(V2Exception.class)
    ResponseEntity<Map<String, String>> v2(V2Exception e) {
        return error(e.status(), e.getMessage());
    }

    @ExceptionHandler(ImageException.class)
    ResponseEntity<Map<String, String>> image(ImageException e) {
        return error(e.kind() == ImageException.Kind.TOO_LARGE ? HttpStatus.CONTENT_TOO_LARGE : HttpStatus.BAD_REQUEST,
                e.getMessage());
    }

    @ExceptionHandler(BatchingExecutor.OverloadedException.class)
    ResponseEntity<Map<String, String>> overloaded(BatchingExecutor.OverloadedException e) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, e.retryAfter().toSeconds())))
                .body(body(e.getMessage()));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, String>> mediaType(HttpMediaTypeNotSupportedException e) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send the inference request as application/json");
    }

    ResponseEntity<Map<String, String>> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).body(body(message));
    }

    /** The protocol's error member, and the trace id (as in v1's problem details) when there is one. */
    private Map<String, String> body(String message) {
        String traceId = traceIds.current();
        return traceId == null ? Map.of("error", message) : Map.of("error", message, TraceIds.MEMBER, traceId);
    }
}
