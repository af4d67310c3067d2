package io.resnetservice.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import io.resnetservice.security.ApiKeys;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.stereotype.Component;

/**
 * The API-key rule of the HTTP door ({@code ApiKeyFilter}) for gRPC: with {@code resnet.security.api-keys}
 * set, inference RPCs need one of them as metadata {@code x-api-key} or {@code authorization: Bearer};
 * the repository RPCs need an admin key (UNAUTHENTICATED without one, PERMISSION_DENIED with an inference
 * key). Health ({@code grpc.health.v1.Health}), reflection, ServerLive and ServerReady stay open, like
 * the HTTP probes.
 */
@Component
@GlobalServerInterceptor
@Order(0)
public class ApiKeyInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final String SERVICE = GRPCInferenceServiceGrpc.SERVICE_NAME + "/";

    private final ApiKeys keys;

    public ApiKeyInterceptor(ResnetProperties properties) {
        this.keys = new ApiKeys(properties.security());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (!method.startsWith(SERVICE)) {
            return next.startCall(call, headers);
        }
        String rpc = method.substring(SERVICE.length());
        String presented = ApiKeys.presented(headers.get(API_KEY), headers.get(AUTHORIZATION));
        Status refusal = null;
        if (rpc.startsWith("Repository")) {
            if (keys.repositoryOpen()) {
                ApiKeys.Access access = keys.of(presented);
                if (access == ApiKeys.Access.INFERENCE) {
                    refusal = Status.PERMISSION_DENIED.withDescription(
                            "the model repository needs an admin key (resnet.security.admin-keys), not an inference key");
                } else if (access == ApiKeys.Access.NONE) {
                    refusal = Status.UNAUTHENTICATED.withDescription(
                            "send an admin key as x-api-key or authorization: Bearer");
                }
            }
        } else if (!rpc.equals("ServerLive") && !rpc.equals("ServerReady") && !keys.inferenceOpen()
                && !keys.inference(presented)) {
            refusal = Status.UNAUTHENTICATED.withDescription(
                    "send a valid API key as metadata x-api-key or authorization: Bearer");
        }
        if (refusal == null) {
            return next.startCall(call, headers);
        }
        call.close(refusal, new Metadata());
        return new ServerCall.Listener<>() {};
    }
}
