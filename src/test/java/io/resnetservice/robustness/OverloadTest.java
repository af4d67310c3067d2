package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Several times more requests than the queue holds: the excess is refused fast, the rest served. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OverloadTest {

    static final Path MODELS = TestModels.repositoryWithRandomFashionModel();
    static final int QUEUE = 4;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.batching.queue-capacity", () -> Integer.toString(QUEUE));
        registry.add("resnet.batching.max-batch-size", () -> "4");
        registry.add("resnet.batching.max-delay", () -> "0ms");
        registry.add("server.tomcat.threads.max", () -> "64");
    }

    @LocalServerPort
    int port;

    record Outcome(int status, long millis, String retryAfter) {}

    @Test
    void theExcessGetsFast503sAndTheServiceRecovers() throws Exception {
        Multipart four = new Multipart();
        for (int i = 0; i < 4; i++) {
            four.file("image", "i" + i, "image/png", TestImages.png(TestImages.grey(28, 28, i)));
        }
        byte[] body = four.bytes();
        HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
        Runtime rt = Runtime.getRuntime();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        int clients = 48;
        // Kubernetes' probes keep coming while the queue is full and both cores are busy.
        java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> probes = java.util.Collections.synchronizedList(new ArrayList<>());
        long[] slowestProbe = {0};
        Thread prober = new Thread(() -> {
            Http probe = new Http(port);
            while (loading.get()) {
                for (String path : List.of("/actuator/health/liveness", "/actuator/health/readiness")) {
                    long start = System.nanoTime();
                    Http.Response r = probe.get(path);
                    slowestProbe[0] = Math.max(slowestProbe[0], (System.nanoTime() - start) / 1_000_000);
                    probes.add(path + " " + r.status() + " " + r.json().path("status").asString());
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        prober.start();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<List<Outcome>>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                List<Outcome> outcomes = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    long start = System.nanoTime();
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                                    URI.create("http://localhost:" + port + "/api/v1/classify"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Content-Type", four.contentType())
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    outcomes.add(new Outcome(r.statusCode(), (System.nanoTime() - start) / 1_000_000,
                            r.headers().firstValue("Retry-After").orElse(null)));
                }
                return outcomes;
            }));
        }
        int ok = 0;
        int refused = 0;
        long slowestRefusal = 0;
        for (Future<List<Outcome>> f : futures) {
            for (Outcome o : f.get()) {
                if (o.status() == 200) {
                    ok++;
                } else {
                    assertEquals(503, o.status(), "only 200 or 503 under overload");
                    assertTrue(o.retryAfter() != null && Integer.parseInt(o.retryAfter()) >= 1, "Retry-After");
                    refused++;
                    slowestRefusal = Math.max(slowestRefusal, o.millis());
                }
            }
        }
        pool.shutdown();
        loading.set(false);
        prober.join();
        long heapAfter = rt.totalMemory() - rt.freeMemory();
        System.out.printf(Locale.ROOT, "overload: %d requests of 4 images with a queue of %d: %d served, %d refused (slowest refusal %d ms),"
                + " heap %d -> %d MB%n", clients * 5, QUEUE, ok, refused, slowestRefusal, heapBefore >> 20, heapAfter >> 20);
        assertTrue(ok > 0 && refused > 0, "some served, some refused");
        assertTrue(slowestRefusal < 5_000, "refusals come fast: " + slowestRefusal + " ms");
        System.out.printf(Locale.ROOT, "probes during the overload: %d, slowest %d ms%n", probes.size(), slowestProbe[0]);
        assertTrue(probes.size() >= 4, "probes were answered during the load: " + probes.size());
        for (String probe : probes) {
            // Overload is answered with 503s per request; the pod stays live and ready, or the Service would
            // shift its load onto the other pods and overload them in turn.
            assertTrue(probe.endsWith(" 200 UP"), "under load: " + probe);
        }

        Http http = new Http(port);
        Http.Response after = http.post("/api/v1/classify", "image/png", TestImages.png(TestImages.grey(28, 28, 7)));
        assertEquals(200, after.status());
        assertTrue(http.get("/actuator/prometheus").body().contains("outcome=\"rejected\""));
    }

    /** An explanation (101 forward passes at the default grid on a square picture) waits in the same queue, and is refused as classify is. */
    @Test
    void explanationsAreAdmittedAndRefusedByTheSameQueue() throws Exception {
        Multipart upload = new Multipart().file("image", "x.png", "image/png", TestImages.png(TestImages.grey(28, 28, 3)));
        byte[] body = upload.bytes();
        String type = upload.contentType();
        HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
        ExecutorService pool = Executors.newFixedThreadPool(24);
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            outcomes.add(pool.submit(() -> {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/v1/explain")).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                return new Outcome(r.statusCode(), 0, r.headers().firstValue("Retry-After").orElse(null));
            }));
        }
        int ok = 0;
        int refused = 0;
        for (Future<Outcome> f : outcomes) {
            Outcome o = f.get();
            if (o.status() == 200) {
                ok++;
            } else {
                assertEquals(503, o.status(), "served or refused, nothing else");
                assertTrue(o.retryAfter() != null, "a refusal says when to retry");
                refused++;
            }
        }
        pool.shutdown();
        System.out.printf(Locale.ROOT, "explain overload: 24 at once with a queue of %d: %d served, %d refused%n", QUEUE,
                ok, refused);
        assertTrue(ok > 0 && refused > 0, "some served, some refused: " + ok + " / " + refused);
        assertEquals(200, new Http(port).post("/api/v1/explain", "image/png", TestImages.png(TestImages.grey(28, 28, 4)))
                .status(), "served again afterwards");
    }
}
