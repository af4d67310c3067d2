package io.resnetservice.web;

import io.resnetservice.image.ImageException;
import io.resnetservice.serving.BatchingExecutor;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error leaves as RFC 9457 {@code application/problem+json} with a {@link ProblemType}. Messages
 * are written for the client; stack traces, class names and paths stay in the log.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    private static final Map<Integer, ProblemType> BY_STATUS = Map.of(
            400, ProblemType.MALFORMED_REQUEST,
            404, ProblemType.NOT_FOUND,
            405, ProblemType.METHOD_NOT_ALLOWED,
            406, ProblemType.NOT_ACCEPTABLE,
            413, ProblemType.REQUEST_TOO_LARGE,
            415, ProblemType.UNSUPPORTED_MEDIA_TYPE);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e) {
        ResponseEntity<ProblemDetail> problem = problem(e.status(), e.type(), e.getMessage());
        if (e.status() != HttpStatus.SERVICE_UNAVAILABLE) {
            return problem;
        }
        return ResponseEntity.status(problem.getStatusCode()).headers(problem.getHeaders())
                .header(HttpHeaders.RETRY_AFTER, "5").body(problem.getBody());
    }

    /** 503 with Retry-After: the queue is full, the request waited too long, or we are shutting down. */
    @ExceptionHandler(BatchingExecutor.OverloadedException.class)
    ResponseEntity<ProblemDetail> overloaded(BatchingExecutor.OverloadedException e) {
        ResponseEntity<ProblemDetail> problem = problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemType.OVERLOADED, e.getMessage());
        return ResponseEntity.status(problem.getStatusCode())
                .headers(problem.getHeaders())
                .header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, e.retryAfter().toSeconds())))
                .body(problem.getBody());
    }

    @ExceptionHandler(ImageException.class)
    ResponseEntity<ProblemDetail> image(ImageException e) {
        return switch (e.kind()) {
            case EMPTY -> problem(HttpStatus.BAD_REQUEST, ProblemType.EMPTY_IMAGE, e.getMessage());
            case UNSUPPORTED_FORMAT -> problem(HttpStatus.BAD_REQUEST, ProblemType.UNSUPPORTED_IMAGE, e.getMessage());
            case UNDECODABLE -> problem(HttpStatus.BAD_REQUEST, ProblemType.UNDECODABLE_IMAGE, e.getMessage());
            case TOO_LARGE -> problem(HttpStatus.CONTENT_TOO_LARGE, ProblemType.IMAGE_TOO_LARGE, e.getMessage());
        };
    }

    /** A multipart body that the parser could not read (over-size bodies are handled by the base class). */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> multipart(MultipartException e) {
        if (e instanceof MaxUploadSizeExceededException) {
            return problem(HttpStatus.CONTENT_TOO_LARGE, ProblemType.REQUEST_TOO_LARGE,
                    "the upload is over the size limits");
        }
        return problem(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST, "the multipart body cannot be read");
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("Unexpected error", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, ProblemType.INTERNAL, "the request failed on our side");
    }

    /** Spring's own exceptions (415, 405, missing parameters, type mismatches...) get our types too. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(
            Exception ex, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemType type = BY_STATUS.getOrDefault(status.value(),
                status.is5xxServerError() ? ProblemType.INTERNAL : ProblemType.MALFORMED_REQUEST);
        if (ex instanceof TypeMismatchException) {
            type = ProblemType.INVALID_PARAMETER;
        }
        ProblemDetail detail = body instanceof ProblemDetail p ? p
                : ex instanceof ErrorResponse error ? error.getBody() : ProblemDetail.forStatus(status);
        if (detail.getDetail() == null) {
            detail.setDetail(type.title());
        }
        detail.setType(type.uri());
        detail.setTitle(type.title());
        detail.setInstance(null);
        HttpHeaders out = new HttpHeaders();
        out.putAll(headers);
        out.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(detail, out, status);
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, ProblemType type, String message) {
        if (status.is4xxClientError() || status == HttpStatus.SERVICE_UNAVAILABLE) {
            // The request id is on the line (MDC), so a client's report can be matched with it.
            log.info("Answered {} {}: {}", status.value(), type.uri(), message);
        }
        ProblemDetail detail = ProblemDetail.forStatusAndDetail(status, message);
        detail.setType(type.uri());
        detail.setTitle(type.title());
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(detail);
    }
}
