package io.resnetservice.web.v2;

import io.resnetservice.image.ImageException;
import io.resnetservice.serving.BatchingExecutor;
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
                .body(Map.of("error", e.getMessage()));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, String>> mediaType(HttpMediaTypeNotSupportedException e) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send the inference request as application/json");
    }

    static ResponseEntity<Map<String, String>> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).body(Map.of("error", message));
    }
}
