package io.resnetservice.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.serving.NativeMemory;
import io.resnetservice.support.Http;
import io.resnetservice.support.TempDirs;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A swap under load with polling on: 16 clients for tens of seconds while version 2 is renamed into the
 * model's folder, then a broken version 3 is written slowly in place. Every answer is a 200, answers move
 * to version 2 once and never back, version 3 never answers, and live NDArrays end where they started.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class HotSwapTest {

    static final String NAME = "swap";
    static final long POLL_MS = 400;
    static final Path MODELS = models();

    static Path models() {
        try {
            Path dir = TempDirs.create("hot-swap");
            TestModels.writeRandomFashion(dir.resolve(NAME).resolve("1"), NAME);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.device", () -> "cpu");
        registry.add("resnet.model-poll-interval", () -> POLL_MS + "ms");
        registry.add("resnet.batching.queue-capacity", () -> "256");
    }

    @LocalServerPort
    int port;

    @Autowired
    ModelRepository repository;

    @Autowired
    NativeMemory nativeMemory;

    /** One answer: when its request was sent and answered, its status and the version that computed it. */
    record Answer(long sentNanos, long answeredNanos, int status, String version, String body) {}

    @Test
    void sixteenClientsThroughASwapAndABrokenVersion() throws Exception {
        Http http = new Http(port);
        byte[] image = TestImages.png(TestImages.grey(28, 28, 5));
        int liveBefore = nativeMemory.liveNDArrays();
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(16);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            futures.add(clients.submit(() -> {
                while (running.get()) {
                    long sent = System.nanoTime();
                    Http.Response r = http.post("/api/v1/models/" + NAME + "/classify", "image/png", image);
                    String version = r.status() == 200 ? r.json().get("modelVersion").asString() : null;
                    answers.add(new Answer(sent, System.nanoTime(), r.status(), version, r.status() == 200 ? "" : r.body()));
                }
                return null;
            }));
        }
        try {
            Thread.sleep(6_000);
            // Version 2 is prepared beside the model folder, then renamed into it: it appears whole.
            Path staging = TestModels.writeRandomFashion(MODELS.resolve(".staging-2"), NAME);
            long renamed = System.nanoTime();
            Files.move(staging, MODELS.resolve(NAME).resolve("2"), StandardCopyOption.ATOMIC_MOVE);
            long switched = waitFor(answers, "2", 30_000);
            double switchSeconds = (switched - renamed) / 1e9;

            // Version 3 is written in place, slowly, and broken: its weights stop halfway.
            Path source = TestModels.writeRandomFashion(MODELS.resolveSibling(MODELS.getFileName() + "-v3"), NAME);
            Path three = Files.createDirectories(MODELS.resolve(NAME).resolve("3"));
            Files.copy(source.resolve("model.json"), three.resolve("model.json"));
            Files.copy(source.resolve("labels.txt"), three.resolve("labels.txt"));
            byte[] weights = Files.readAllBytes(source.resolve(NAME + ".params"));
            try (OutputStream out = Files.newOutputStream(three.resolve(NAME + ".params"))) {
                int half = weights.length / 2;
                int chunk = half / 12;
                for (int at = 0; at < half; at += chunk) {
                    out.write(weights, at, Math.min(chunk, half - at));
                    out.flush();
                    Thread.sleep(POLL_MS / 2);
                }
            }
            String reason = waitForFailure(30_000);
            Thread.sleep(6_000);
            running.set(false);
            for (Future<?> f : futures) {
                f.get();
            }

            List<Answer> all = new ArrayList<>(answers);
            Map<Integer, Integer> statuses = new TreeMap<>();
            all.forEach(a -> statuses.merge(a.status(), 1, Integer::sum));
            assertEquals(Map.of(200, all.size()), statuses, "every answer is a 200: "
                    + all.stream().filter(a -> a.status() != 200).map(Answer::body).findFirst().orElse(""));
            assertTrue(all.size() > 200, "tens of seconds of answers: " + all.size());
            assertTrue(all.stream().noneMatch(a -> "3".equals(a.version())), "the broken version never answers");
            long firstTwo = all.stream().filter(a -> "2".equals(a.version())).mapToLong(Answer::answeredNanos).min()
                    .orElseThrow();
            List<Answer> back = all.stream().filter(a -> a.sentNanos() > firstTwo && !"2".equals(a.version())).toList();
            assertEquals(List.of(), back, "once version 2 answered, every later request is answered by it");
            assertTrue(switchSeconds < 2 * POLL_MS / 1000.0 + 10, "switched " + switchSeconds + " s after the rename");
            assertTrue(reason.startsWith("failed to load: "), reason);
            System.out.printf(java.util.Locale.ROOT, "hot swap: %d answers, all 200; version 2 answered %.2f s after the rename (poll %d ms); "
                    + "version 3: %s%n", all.size(), switchSeconds, POLL_MS, reason);

            long deadline = System.currentTimeMillis() + 30_000;
            while (nativeMemory.liveNDArrays() != liveBefore && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(liveBefore, nativeMemory.liveNDArrays(),
                    "version 1's arrays are released once its last request is answered");
            assertEquals(List.of("1 UNAVAILABLE", "2 READY", "3 UNAVAILABLE"), repository.index().stream()
                    .filter(s -> s.name().equals(NAME)).map(s -> s.version() + " " + s.state()).toList());
        } finally {
            running.set(false);
            clients.shutdownNow();
        }
    }

    private static long waitFor(ConcurrentLinkedQueue<Answer> answers, String version, long millis)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            for (Answer a : answers) {
                if (version.equals(a.version())) {
                    return a.answeredNanos();
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no answer from version " + version + " in " + millis + " ms; statuses "
                + Arrays.toString(answers.stream().mapToInt(Answer::status).distinct().toArray()));
    }

    private String waitForFailure(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            for (VersionStatus status : repository.index()) {
                if (status.name().equals(NAME) && status.version().equals("3") && status.reason() != null
                        && status.reason().startsWith("failed")) {
                    return status.reason();
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("version 3 never failed: " + repository.index());
    }
}
