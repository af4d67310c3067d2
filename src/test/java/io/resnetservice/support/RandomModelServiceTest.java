package io.resnetservice.support;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real service on a random port, serving one random-weight Fashion-MNIST-shaped model with small
 * limits. Test classes extending it share one application context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class RandomModelServiceTest {

    public static final Path MODELS = TestModels.repositoryWithRandomFashionModel();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.device", () -> "cpu");
        registry.add("resnet.limits.max-image-bytes", () -> "300KB");
        registry.add("resnet.limits.max-request-bytes", () -> "1MB");
        registry.add("resnet.limits.max-pixels", () -> "4000000");
        registry.add("resnet.limits.max-images-per-request", () -> "4");
    }

    @LocalServerPort
    protected int port;

    protected Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }
}
