package io.resnetservice.grpc;

import io.grpc.Status;

/** A request the gRPC door refuses, with the status code that says why. */
final class GrpcException extends RuntimeException {

    private final Status.Code code;

    GrpcException(Status.Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    Status.Code code() {
        return code;
    }

    static GrpcException invalid(String message) {
        return new GrpcException(Status.Code.INVALID_ARGUMENT, message);
    }

    static GrpcException tooLarge(String message) {
        return new GrpcException(Status.Code.RESOURCE_EXHAUSTED, message);
    }
}
