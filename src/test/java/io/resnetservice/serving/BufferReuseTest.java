package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.support.Http;
import io.resnetservice.support.TempDirs;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A photo classified again and again by a 224x224 model takes its large arrays (the input tensor, the
 * resampling planes, the decoded samples where a JPEG library decodes) from the pool: after the first
 * request the pool allocates nothing, so the heap sees no per-request megabytes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BufferReuseTest {

    static final Path MODELS = TempDirs.create("resnet-imagenet-models");

    static {
        TestModels.writeRandomImageNet(MODELS.resolve("random-224"));
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.device", () -> "cpu");
        registry.add("resnet.batching.enabled", () -> "false");
    }

    @LocalServerPort
    int port;

    @Test
    void repeatedPhotosBorrowTheirArraysInsteadOfAllocatingThem() {
        Http http = new Http(port);
        byte[] photo = TestImages.jpeg(TestImages.rgb(1024, 768, 5), 0.9f);
        for (int i = 0; i < 2; i++) {
            assertEquals(200, http.post("/api/v1/classify", "image/jpeg", photo).status());
        }
        ArrayPool.Stats before = ArrayPool.SHARED.stats();
        int requests = 5;
        for (int i = 0; i < requests; i++) {
            assertEquals(200, http.post("/api/v1/classify", "image/jpeg", photo).status());
        }
        ArrayPool.Stats after = ArrayPool.SHARED.stats();
        System.out.printf(java.util.Locale.ROOT, "buffer pool over %d photos: allocated %d, lent again %d%n", requests,
                after.allocated() - before.allocated(), after.reused() - before.reused());
        assertEquals(before.allocated(), after.allocated(), "no large array allocated after the first requests");
        // Per photo at least the tensor and three planes; the decoded samples too where a JPEG library decodes.
        assertTrue(after.reused() - before.reused() >= 4L * requests, (after.reused() - before.reused()) + " lent again");
        String metrics = http.get("/actuator/prometheus").body();
        assertTrue(metrics.contains("buffer_pool_lent_total"), "the pool's counters are exported");
    }
}
