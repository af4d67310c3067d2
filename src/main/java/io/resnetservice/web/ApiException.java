package io.resnetservice.web;

import org.springframework.http.HttpStatus;

/** A request we refuse, with the status, the problem type and a message safe to show the client. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final ProblemType type;

    public ApiException(HttpStatus status, ProblemType type, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
    }

    public HttpStatus status() {
        return status;
    }

    public ProblemType type() {
        return type;
    }
}
