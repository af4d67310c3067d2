package io.resnetservice.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import io.resnetservice.serving.ServiceLoad;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.stereotype.Component;

/**
 * Counts each ModelInfer in {@link ServiceLoad} from its headers until it is answered or cancelled, as
 * {@code InFlightFilter} does for HTTP: a batch worker holding an HTTP request waits for a gRPC one on
 * its way, and the reverse, so both doors share forward passes.
 */
@Component
@GlobalServerInterceptor
@Order(1)
public class InFlightInterceptor implements ServerInterceptor {

    private static final String INFER = GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName();

    private final ServiceLoad load;

    public InFlightInterceptor(ServiceLoad load) {
        this.load = load;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!INFER.equals(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        ServiceLoad.Arrival arrival = load.arrive();
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                arrival.close();
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(counted, headers);
        } catch (RuntimeException e) {
            arrival.close();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                arrival.close();
                super.onCancel();
            }

            @Override
            public void onComplete() {
                arrival.close();
                super.onComplete();
            }
        };
    }
}
