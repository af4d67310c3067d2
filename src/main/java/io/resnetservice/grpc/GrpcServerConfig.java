package io.resnetservice.grpc;

import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * The gRPC server's knobs that follow the service's own: the largest message is
 * {@code resnet.limits.max-request-bytes} (larger ones are RESOURCE_EXHAUSTED before they are read), and
 * {@code grpc.health.v1.Health} answers SERVING exactly while readiness accepts traffic, for the whole
 * server ("") and for {@code inference.GRPCInferenceService}.
 */
@Configuration(proxyBeanMethods = false)
public class GrpcServerConfig {

    @Bean
    static GrpcShutdownOrder grpcShutdownOrder() {
        return new GrpcShutdownOrder();
    }

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    <T extends ServerBuilder<T>> ServerBuilderCustomizer<T> messageSizeFromLimits(ResnetProperties properties) {
        int limit = (int) Math.min(Integer.MAX_VALUE, properties.limits().maxRequestBytes().toBytes());
        return builder -> builder.maxInboundMessageSize(limit);
    }

    @Bean
    ReadinessHealth readinessHealth(ObjectProvider<HealthStatusManager> health) {
        return new ReadinessHealth(health.getIfAvailable());
    }

    /**
     * Readiness, as gRPC health checks (Kubernetes' grpc probes, load balancers) read it; nothing to do
     * where the gRPC server or its health service is switched off.
     */
    public static final class ReadinessHealth {
        private final HealthStatusManager health;

        ReadinessHealth(HealthStatusManager health) {
            this.health = health;
            set(ServingStatus.NOT_SERVING); // until the models are loaded and warmed
        }

        @EventListener
        public void readiness(AvailabilityChangeEvent<ReadinessState> event) {
            set(event.getState() == ReadinessState.ACCEPTING_TRAFFIC ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        }

        private void set(ServingStatus status) {
            if (health == null) {
                return;
            }
            health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
            health.setStatus(GRPCInferenceServiceGrpc.SERVICE_NAME, status);
        }
    }
}
