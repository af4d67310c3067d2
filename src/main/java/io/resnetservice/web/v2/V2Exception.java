package io.resnetservice.web.v2;

import org.springframework.http.HttpStatus;

/** An Open Inference Protocol error: answered as {@code {"error": "..."}} with its status. */
public class V2Exception extends RuntimeException {
    private final HttpStatus status;

    public V2Exception(HttpStatus status, String message) {
        super(message);
        this.status = status;
    }

    public HttpStatus status() {
        return status;
    }
}
