package io.resnetservice.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.resnetservice.image.ImageException;
import io.resnetservice.repository.RepositoryException;
import io.resnetservice.serving.BatchingExecutor;
import io.resnetservice.serving.RawTensors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failure of an RPC as a status code with a message written for the client: a client's mistake
 * is never UNKNOWN or INTERNAL. Overload carries a {@code retry-after} trailer in seconds, as HTTP's 503 does.
 */
final class GrpcErrors {

    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);
    static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

    private GrpcErrors() {}

    static StatusRuntimeException of(Throwable e) {
        if (e instanceof StatusRuntimeException status) {
            return status;
        }
        if (e instanceof GrpcException refused) {
            return Status.fromCode(refused.code()).withDescription(refused.getMessage()).asRuntimeException();
        }
        if (e instanceof ImageException image) {
            Status.Code code = image.kind() == ImageException.Kind.TOO_LARGE
                    ? Status.Code.RESOURCE_EXHAUSTED : Status.Code.INVALID_ARGUMENT;
            return Status.fromCode(code).withDescription(image.getMessage()).asRuntimeException();
        }
        if (e instanceof BatchingExecutor.OverloadedException overloaded) {
            Metadata trailers = new Metadata();
            trailers.put(RETRY_AFTER, Long.toString(Math.max(1, overloaded.retryAfter().toSeconds())));
            Status status = overloaded.stopping() ? Status.UNAVAILABLE : Status.RESOURCE_EXHAUSTED;
            return status.withDescription(overloaded.getMessage()).asRuntimeException(trailers);
        }
        if (e instanceof RawTensors.MalformedException malformed) {
            Status status = malformed.tooLarge() ? Status.RESOURCE_EXHAUSTED : Status.INVALID_ARGUMENT;
            return status.withDescription(malformed.getMessage()).asRuntimeException();
        }
        if (e instanceof RepositoryException repository) {
            Status.Code code = switch (repository.kind()) {
                case BAD_NAME, LOAD_FAILED -> Status.Code.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.Code.NOT_FOUND;
            };
            return Status.fromCode(code).withDescription(repository.getMessage()).asRuntimeException();
        }
        log.error("gRPC request failed", e);
        return Status.INTERNAL.withDescription("the request failed on our side").asRuntimeException();
    }
}
