package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.serving.NativeMemory;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class FuzzAndNativeMemoryTest extends RandomModelServiceTest {

    static final int FUZZ_CASES = Integer.getInteger("fuzz.cases", 2000);
    static final long FUZZ_SECONDS = 120;

    @Autowired
    NativeMemory nativeMemory;

    @Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    static List<byte[]> seeds() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        for (String name : new String[] {"progressive.jpg", "grey.jpg", "cmyk.jpg", "grey16.png",
            "palette-transparent.png", "animated.gif", "scene.webp", "scene.bmp", "exif-orientation-6.jpg"}) {
            try (InputStream in = FuzzAndNativeMemoryTest.class.getResourceAsStream("/images/" + name)) {
                seeds.add(in.readAllBytes());
            }
        }
        seeds.add(TestImages.png(TestImages.rgb(40, 30, 1)));
        seeds.add(TestImages.jpeg(TestImages.rgb(64, 48, 2), 0.8f));
        return seeds;
    }

    static byte[] mutate(byte[] seed, byte[] other, Random r) {
        byte[] b = seed.clone();
        switch (r.nextInt(5)) {
            case 0 -> { // bit flips
                int flips = 1 + r.nextInt(16);
                for (int i = 0; i < flips; i++) {
                    int at = r.nextInt(b.length);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncation
            case 2 -> { // another image's header spliced onto this body
                int cut = r.nextInt(Math.min(other.length, 64) + 1);
                byte[] spliced = new byte[cut + b.length - Math.min(cut, b.length)];
                System.arraycopy(other, 0, spliced, 0, cut);
                System.arraycopy(b, Math.min(cut, b.length), spliced, cut, spliced.length - cut);
                b = spliced;
            }
            case 3 -> { // random bytes over a header field
                int at = r.nextInt(Math.min(b.length, 40));
                for (int i = at; i < Math.min(b.length, at + 4); i++) {
                    b[i] = (byte) r.nextInt(256);
                }
            }
            default -> { // a run of bytes repeated in the middle
                int at = r.nextInt(b.length);
                int len = Math.min(b.length - at, 1 + r.nextInt(64));
                byte[] longer = new byte[b.length + len];
                System.arraycopy(b, 0, longer, 0, at + len);
                System.arraycopy(b, at, longer, at + len, b.length - at);
                b = longer;
            }
        }
        return b;
    }

    @Test
    void mutatedImagesGetOnly200Or4xxAndNoRequestHangs() throws IOException {
        List<byte[]> seeds = seeds();
        int baseline = nativeMemory.liveNDArrays();
        Random r = new Random(20261127);
        long deadline = System.nanoTime() + FUZZ_SECONDS * 1_000_000_000L;
        int sent = 0;
        int ok = 0;
        int rejected = 0;
        long slowest = 0;
        while (sent < FUZZ_CASES && System.nanoTime() < deadline) {
            byte[] body = mutate(seeds.get(r.nextInt(seeds.size())), seeds.get(r.nextInt(seeds.size())), r);
            long start = System.nanoTime();
            Http.Response response = sent % 2 == 0
                    ? http.post("/api/v1/classify", "application/octet-stream", body)
                    : http.post("/api/v1/classify", new Multipart().file("image", "fuzz", "image/jpeg", body));
            slowest = Math.max(slowest, System.nanoTime() - start);
            int status = response.status();
            assertTrue(status == 200 || (status >= 400 && status < 500),
                    "case " + sent + " got " + status + ": " + response.body());
            if (status == 200) {
                ok++;
            } else {
                rejected++;
            }
            sent++;
        }
        System.out.printf(Locale.ROOT, "fuzz: %d mutated images, %d classified, %d rejected with 4xx, slowest %d ms%n",
                sent, ok, rejected, slowest / 1_000_000);
        assertTrue(sent >= 500, "fuzzed enough cases in the time allowed: " + sent);
        assertTrue(slowest < 10_000_000_000L, "no request took 10 s");
        // Every request has been answered: whatever they decoded, classified or refused was released.
        assertEquals(baseline, nativeMemory.liveNDArrays(), "NDArrays after " + sent + " fuzzed requests");
        assertEquals(0.0, meters.get("image.memory.used").gauge().value(), "image memory leases after the fuzz run");
    }

    @Test
    void nativeArraysReturnToTheirBaselineAfterGoodAndBadRequests() {
        byte[] good = TestImages.png(TestImages.grey(28, 28, 1));
        http.post("/api/v1/classify", "image/png", good);
        int baseline = nativeMemory.liveNDArrays();
        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            switch (i % 4) {
                case 0 -> assertEquals(200, http.post("/api/v1/classify", "image/png",
                        TestImages.png(TestImages.grey(28, 28, i))).status());
                case 1 -> assertEquals(200, http.post("/api/v1/classify?topK=3", new Multipart()
                        .file("image", "a", "image/png", good).file("image", "b", "image/png", good)).status());
                case 2 -> {
                    byte[] noise = new byte[500];
                    r.nextBytes(noise);
                    assertEquals(400, http.post("/api/v1/classify", "image/png", noise).status());
                }
                default -> assertEquals(400, http.post("/v2/models/random-fmnist/infer", "application/json",
                        "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": [1]}]}"
                                .getBytes(StandardCharsets.UTF_8)).status());
            }
        }
        int after = nativeMemory.liveNDArrays();
        System.out.printf(Locale.ROOT, "live NDArrays: %d before, %d after 300 requests%n", baseline, after);
        assertEquals(baseline, after, "every request's NDArrays were released");
        assertTrue(http.get("/actuator/prometheus").body().contains("djl_ndarrays_live"));
    }
}
