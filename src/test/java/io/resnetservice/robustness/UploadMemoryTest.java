package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.resnetservice.support.Http;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Request bodies take their share of the upload memory budget before a byte is read: with room for one
 * body and a half, a second body waits while the first is still arriving, then gets 503 + Retry-After.
 */
class UploadMemoryTest extends RandomModelServiceTest {

    static final byte[] IMAGE = TestImages.png(TestImages.grey(28, 28, 21));

    @DynamicPropertySource
    static void budget(DynamicPropertyRegistry registry) {
        registry.add("resnet.limits.upload-memory", () -> (IMAGE.length * 3 / 2) + "B");
        registry.add("resnet.limits.image-memory-wait", () -> "300ms");
    }

    @Autowired
    MeterRegistry meters;

    double used() {
        return meters.get("upload.memory.used").gauge().value();
    }

    /** Waits (event-based, bounded only so a broken build fails instead of hanging) until the budget holds {@code bytes}. */
    void awaitUsed(double bytes) throws InterruptedException {
        long until = System.nanoTime() + 60_000_000_000L;
        while (used() != bytes) {
            assertTrue(System.nanoTime() < until, "upload memory in use: " + used() + ", expected " + bytes);
            Thread.sleep(5);
        }
    }

    @Test
    void aBodyWaitsForTheBodiesBeingReceivedAndIsRefusedWhenTheyHoldTheBudget() throws Exception {
        assertEquals(IMAGE.length * 3 / 2, meters.get("upload.memory.budget").gauge().value());
        try (Socket slow = new Socket("localhost", port)) {
            OutputStream out = slow.getOutputStream();
            out.write(("POST /api/v1/classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: " + IMAGE.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(IMAGE, 0, 100);
            out.flush();
            awaitUsed(IMAGE.length); // the slow body holds its share
            Http.Response refused = http.post("/api/v1/classify", "image/png", IMAGE);
            assertEquals(503, refused.status(), refused.body());
            assertEquals("/problems/overloaded", refused.json().get("type").asString());
            assertTrue(refused.body().contains("too many large uploads"), refused.body());

            out.write(IMAGE, 100, IMAGE.length - 100);
            out.flush();
            String status = new BufferedReader(new InputStreamReader(slow.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertEquals("HTTP/1.1 200 ", status.substring(0, 13), "the slow body was answered: " + status);
        }
        awaitUsed(0);
        assertEquals(200, http.post("/api/v1/classify", "image/png", IMAGE).status(), "room again");
    }
}
