package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout the Dockerfile builds, without a container: Spring Boot's extracted layers in one folder,
 * the native jar left out, libtorch read from {@code PYTORCH_LIBRARY_PATH}, an empty DJL cache, and a Java
 * runtime linked from the Dockerfile's {@code JAVA_MODULES} alone. The service must start offline from that,
 * classify a PNG and a JPEG and expose its metrics, extracting nothing.
 */
class ContainerLayoutIT {

    @Test
    void theImageLayoutStartsWithoutTheNativeJar(@TempDir Path tmp) throws Exception {
        Path jar = Path.of(System.getProperty("app.jar", "target/resnet-service-0.1.0-SNAPSHOT.jar")).toAbsolutePath();
        assertTrue(Files.exists(jar), "package the jar first: " + jar);
        Path libtorch = extractedLibtorch().orElseThrow(() -> new AssertionError(
                "no libtorch extracted in the DJL cache (the unit tests extract it): " + djlCache()));
        Path layers = tmp.resolve("layers");
        run(tmp, List.of(java(), "-Djarmode=tools", "-jar", jar.toString(), "extract", "--layers", "--launcher",
                "--destination", layers.toString()));
        Path app = Files.createDirectories(tmp.resolve("app"));
        for (String layer : List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")) {
            copyTree(layers.resolve(layer), app);
        }
        Path lib = app.resolve("BOOT-INF/lib");
        // The jars the Dockerfile leaves out: libtorch's (extracted to /opt/libtorch) and the bundled
        // libjpeg-turbo's (the image has the system's).
        String leftOut = dockerfileArg("LEFT_OUT_JARS").replace("\"", "");
        for (String glob : leftOut.split(" ")) {
            java.nio.file.PathMatcher matcher = lib.getFileSystem().getPathMatcher("glob:" + glob);
            try (Stream<Path> jars = Files.list(lib)) {
                List<Path> matched = jars.filter(p -> matcher.matches(p.getFileName())).toList();
                assertEquals(1, matched.size(), "the jar carries one " + glob + ": " + matched);
                Files.delete(matched.get(0));
            }
        }
        Path runtime = tmp.resolve("java");
        run(tmp, List.of(Path.of(System.getProperty("java.home"), "bin", "jlink").toString(), "--add-modules",
                dockerfileArg("JAVA_MODULES"), "--strip-debug", "--no-man-pages", "--no-header-files",
                "--output", runtime.toString()));
        Path cache = Files.createDirectories(tmp.resolve("djl-cache"));
        int port = GracefulShutdownIT.freePort();
        Path log = tmp.resolve("run.log");
        ProcessBuilder builder = new ProcessBuilder(runtime.resolve("bin/java").toString(), "-Dai.djl.offline=true",
                "org.springframework.boot.loader.launch.JarLauncher", "--server.port=" + port, "--spring.grpc.server.port=0",
                "--resnet.device=cpu")
                .directory(app.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("PYTORCH_LIBRARY_PATH", libtorch.toString());
        builder.environment().put("DJL_CACHE_DIR", cache.toString());
        builder.environment().put("ENGINE_CACHE_DIR", cache.toString());
        long start = System.nanoTime();
        Process server = builder.start();
        try {
            HttpClient client = HttpClient.newHttpClient();
            long until = start + TimeUnit.SECONDS.toNanos(120);
            while (GracefulShutdownIT.status(client, "http://localhost:" + port + "/actuator/health/readiness") != 200) {
                assertTrue(server.isAlive() && System.nanoTime() < until, "never ready:\n" + Files.readString(log));
                Thread.sleep(200);
            }
            System.out.printf(Locale.ROOT, "container layout: ready %d ms after the JVM started%n",
                    (System.nanoTime() - start) / 1_000_000);
            Multipart body = new Multipart().file("image", "item.png", "image/png",
                    TestImages.png(TestImages.grey(28, 28, 3)));
            HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/api/v1/classify")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", body.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            assertTrue(answer.body().contains("\"predictions\""), answer.body());
            Multipart jpeg = new Multipart().file("image", "item.jpg", "image/jpeg",
                    TestImages.jpeg(TestImages.grey(64, 48, 4), 0.9f));
            HttpResponse<String> jpegAnswer = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/api/v1/classify")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", jpeg.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(jpeg.bytes()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, jpegAnswer.statusCode(), jpegAnswer.body());
            String said = Files.readString(log);
            assertFalse(said.contains("OpenCV's imgcodecs"), "the bundled libjpeg-turbo is not in this layout:\n" + said);
            assertTrue(said.contains("system's TurboJPEG") || said.contains("decoded at full size by ImageIO"),
                    "the log says what decodes JPEGs:\n" + said);
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/actuator/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode(), metrics.body());
            assertTrue(metrics.body().contains("process_cpu_usage"), "the JDK's management beans are linked");
            try (Stream<Path> written = Files.walk(cache)) {
                assertEquals(List.of(cache), written.toList(), "nothing extracted or downloaded at run time");
            }
        } finally {
            server.destroyForcibly();
        }
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The default value of a build argument of the Dockerfile ({@code ARG NAME=value}). */
    static String dockerfileArg(String name) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("Dockerfile"))) {
            return lines.filter(l -> l.startsWith("ARG " + name + "=")).map(l -> l.substring(("ARG " + name + "=").length()))
                    .findFirst().orElseThrow(() -> new AssertionError("no ARG " + name + "= in the Dockerfile"));
        }
    }

    static Path djlCache() {
        String configured = System.getenv("DJL_CACHE_DIR");
        return configured != null ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".djl.ai");
    }

    /** The CPU libtorch DJL extracted from the native jar: the folder the Dockerfile moves to /opt/libtorch. */
    static Optional<Path> extractedLibtorch() throws IOException {
        Path pytorch = djlCache().resolve("pytorch");
        if (!Files.isDirectory(pytorch)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(pytorch)) {
            return dirs.filter(d -> d.getFileName().toString().contains("-cpu-")
                    && Files.exists(d.resolve("libtorch_cpu.so"))).findFirst();
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    static void run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ":\n" + out);
    }
}
