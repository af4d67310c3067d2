package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Python;
import io.resnetservice.support.Requires;
import io.resnetservice.support.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Phone photos at 32 concurrent uploads against the packaged jar, its JVM sized as the Helm chart sizes it
 * (a 3 GiB limit, half of it heap, exit on OutOfMemoryError): the process survives, every answer is 200 or
 * 503, a small image is answered as before afterwards, the heap never needs a full collection and the
 * resident memory stays under the chart's 3 GiB limit. With TurboJPEG and with ImageIO alone.
 */
@Requires({OsPackage.TORCHVISION, OsPackage.SKIMAGE})
class LargePhotosIT {

    static final long GIB = 1L << 30;
    static final int CONCURRENCY = 32;
    static final int LOAD_SECONDS = 30;

    @TempDir
    static Path tmp;
    static List<byte[]> photos = new ArrayList<>();

    @BeforeAll
    static void photos() throws Exception {
        String[][] specs = {
            {"4032x3024", "p12.jpg"},
            {"3024x4032", "p12-portrait.jpg", "--orientation", "6"},
            {"4032x3024", "p12-progressive.jpg", "--progressive"},
            {"6960x5220", "p36.jpg"},
            {"3600x2700", "p10.png", "--noise", "0"}};
        for (String[] spec : specs) {
            Path out = tmp.resolve(spec[1]);
            List<String> args = new ArrayList<>(List.of("--size", spec[0], "--out", out.toString()));
            args.addAll(List.of(spec).subList(2, spec.length));
            Python.tool("make_photo.py", args.toArray(String[]::new));
            photos.add(Files.readAllBytes(out));
        }
    }

    @ParameterizedTest(name = "TurboJPEG off: {0}")
    @ValueSource(booleans = {false, true})
    void aBurstOfPhonePhotosNeverTakesTheProcessDown(boolean turboOff) throws Exception {
        Path jar = Path.of(System.getProperty("app.jar", "target/resnet-service-0.1.0-SNAPSHOT.jar"));
        assertTrue(Files.exists(jar), "package the jar first: " + jar);
        int port = GracefulShutdownIT.freePort();
        Path log = tmp.resolve("app-" + turboOff + ".log");
        Path gc = tmp.resolve("gc-" + turboOff + ".log");
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:MaxRAM=3g", "-XX:MaxRAMPercentage=50", "-XX:G1HeapRegionSize=4m", "-XX:GCTimeRatio=4", "-XX:+ExitOnOutOfMemoryError",
                "-Xlog:gc:file=" + gc,
                "-Dai.djl.offline=true", "-Dresnet.turbojpeg.disabled=" + turboOff,
                "-jar", jar.toString(), "--server.port=" + port, "--spring.grpc.server.port=0", "--resnet.device=cpu")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://localhost:" + port;
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (GracefulShutdownIT.status(client, base + "/actuator/health/readiness") != 200) {
                assertTrue(app.isAlive() && System.nanoTime() < until, "never ready: " + Files.readString(log));
                Thread.sleep(250);
            }
            byte[] small = TestImages.png(TestImages.grey(28, 28, 3));
            String before = classify(client, base, small).body();

            Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(LOAD_SECONDS);
            List<Thread> load = new ArrayList<>();
            for (int t = 0; t < CONCURRENCY; t++) {
                int first = t;
                Thread thread = new Thread(() -> {
                    for (int i = first; System.nanoTime() < end; i++) {
                        try {
                            int status = classify(client, base, photos.get(i % photos.size())).statusCode();
                            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                        } catch (Exception e) {
                            failures.add(e.toString());
                            return;
                        }
                    }
                });
                thread.start();
                load.add(thread);
            }
            for (Thread thread : load) {
                thread.join(TimeUnit.SECONDS.toMillis(LOAD_SECONDS + 120));
            }
            assertTrue(app.isAlive(), "the process is alive after the burst: " + tail(log));
            long rss = residentHighWater(app.pid());
            double[] heap = heapHighWater(gc);
            System.out.printf(Locale.ROOT, "large photos at c=%d for %d s (TurboJPEG %s): answers %s, transport failures %d; "
                    + "heap before GC max %.0f MB, after GC max %.0f MB, full GCs %.0f; resident high-water %d MB%n", CONCURRENCY,
                    LOAD_SECONDS, turboOff ? "off" : "on", statuses, failures.size(), heap[0], heap[1], heap[2], rss >> 20);

            assertEquals(List.of(), failures, "every request got an answer");
            assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503), "only 200 or 503: " + statuses);
            assertTrue(statuses.getOrDefault(200, new AtomicLong()).get() >= CONCURRENCY, "photos were served: " + statuses);
            HttpResponse<String> after = classify(client, base, small);
            assertEquals(200, after.statusCode(), after.body());
            assertEquals(before, after.body(), "a small image is answered as before the burst");
            assertEquals(0, heap[2], "no full collection: the heap never ran out");
            assertTrue(rss < 3 * GIB, "resident memory under the chart's 3 GiB limit: " + (rss >> 20) + " MB");
        } finally {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }

    static HttpResponse<String> classify(HttpClient client, String base, byte[] image) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/classify"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** VmHWM of the process, from /proc. */
    static long residentHighWater(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmHWM");
    }

    /** The largest heap occupancy before and after a collection in a -Xlog:gc file, in MB. */
    static double[] heapHighWater(Path gcLog) throws Exception {
        Pattern pause = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)");
        double before = 0;
        double after = 0;
        double full = 0;
        for (String line : Files.readAllLines(gcLog)) {
            // The one the service asks for itself once it has started (StartupMemory) is not the heap running out.
            if (line.contains("Pause Full") && !line.contains("(System.gc())")) {
                full++;
            }
            Matcher m = pause.matcher(line);
            if (m.find()) {
                before = Math.max(before, Double.parseDouble(m.group(1)));
                after = Math.max(after, Double.parseDouble(m.group(2)));
            }
        }
        return new double[] {before, after, full};
    }

    static String tail(Path log) throws Exception {
        String text = Files.readString(log);
        return text.substring(Math.max(0, text.length() - 4000));
    }
}
