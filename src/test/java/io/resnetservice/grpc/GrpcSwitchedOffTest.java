package io.resnetservice.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** spring.grpc.server.enabled=false (the chart's grpc.enabled=false): no gRPC server, HTTP as before. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GrpcSwitchedOffTest {

    static final Path MODELS = TestModels.repositoryWithRandomFashionModel();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.device", () -> "cpu");
        registry.add("spring.grpc.server.enabled", () -> "false");
    }

    @LocalServerPort
    int port;
    @Autowired
    ApplicationContext context;

    @Test
    void theServiceStartsWithoutAGrpcServer() {
        assertEquals(0, context.getBeanNamesForType(GrpcServerLifecycle.class).length, "no gRPC server");
        Http http = new Http(port);
        assertEquals(200, http.get("/actuator/health/readiness").status());
        Http.Response r = http.post("/api/v1/models/" + TestModels.NAME + "/classify", "image/png",
                TestImages.png(TestImages.grey(28, 28, 1)));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.body().contains("predictions"), r.body());
    }
}
