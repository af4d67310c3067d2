package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import io.resnetservice.grpc.v2.ModelInferRequest;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to the packaged jar under HTTP and gRPC load: readiness (and gRPC health) go down at once,
 * accepted requests and RPCs finish, later RPCs are UNAVAILABLE, the process exits.
 */
class GracefulShutdownIT {

    static final int SHUTDOWN_PHASE_SECONDS = 20;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void sigtermUnderLoadLosesNothing() throws Exception {
        Path jar = Path.of(System.getProperty("app.jar", "target/resnet-service-0.1.0-SNAPSHOT.jar"));
        assertTrue(Files.exists(jar), "package the jar first: " + jar);
        Path models = TestModels.repositoryWithRandomFashionModel();
        int port = freePort();
        int grpcPort = freePort();
        Path log = Files.createTempFile("resnet-shutdown", ".log");
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-jar", jar.toString(), "--server.port=" + port, "--spring.grpc.server.port=" + grpcPort,
                "--resnet.model-dir=" + models, "--resnet.device=cpu",
                "--spring.lifecycle.timeout-per-shutdown-phase=" + SHUTDOWN_PHASE_SECONDS + "s")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://localhost:" + port;
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (status(client, base + "/actuator/health/readiness") != 200) {
                assertTrue(app.isAlive() && System.nanoTime() < until, "the service never became ready: " + Files.readString(log));
                Thread.sleep(250);
            }

            Multipart images = new Multipart();
            for (int i = 0; i < 4; i++) {
                images.file("image", "i" + i, "image/png", TestImages.png(TestImages.grey(28, 28, i)));
            }
            byte[] body = images.bytes();
            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> notAccepted = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> broken = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> closedUnanswered = new ConcurrentLinkedQueue<>();
            List<Thread> load = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                Thread thread = new Thread(() -> {
                    while (running.get()) {
                        try {
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/classify"))
                                    .timeout(Duration.ofSeconds(30)).header("Content-Type", images.contentType())
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            statuses.add(r.statusCode());
                        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
                            // Refused before a connection existed: the server never accepted the request.
                            notAccepted.add(e.getClass().getSimpleName());
                            sleep(20);
                        } catch (IOException e) {
                            String what = e.getClass().getSimpleName() + ": " + e.getMessage();
                            if (String.valueOf(e.getMessage()).contains("received no bytes")) {
                                // The server closed a pooled keep-alive connection as the request went out on it:
                                // not a byte came back. Whether the application ever saw the request is settled
                                // by the server's own "Graceful shutdown complete" below.
                                closedUnanswered.add(what);
                            } else {
                                // Reset mid-answer or timed out: an accepted request was cut off.
                                broken.add(what);
                            }
                            sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                thread.start();
                load.add(thread);
            }
            ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("image").setDatatype("BYTES").addShape(4);
            for (int i = 0; i < 4; i++) {
                input.getContentsBuilder().addBytesContents(ByteString.copyFrom(TestImages.png(TestImages.grey(28, 28, i))));
            }
            ModelInferRequest rpc = ModelInferRequest.newBuilder().setModelName(TestModels.NAME).addInputs(input).build();
            // One RPC before the load threads: this JVM's own gRPC client takes seconds to start.
            GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rpc);
            AtomicLong sigtermAt = new AtomicLong(Long.MAX_VALUE);
            ConcurrentLinkedQueue<Status.Code> rpcCodes = new ConcurrentLinkedQueue<>();
            AtomicInteger servedAfterSigterm = new AtomicInteger();
            for (int t = 0; t < 3; t++) {
                Thread thread = new Thread(() -> {
                    while (running.get()) {
                        Status.Code code;
                        try {
                            GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                                    .modelInfer(rpc);
                            code = Status.Code.OK;
                        } catch (StatusRuntimeException e) {
                            code = e.getStatus().getCode();
                        }
                        rpcCodes.add(code);
                        if (code == Status.Code.OK && System.nanoTime() > sigtermAt.get()) {
                            servedAfterSigterm.incrementAndGet();
                        }
                        if (code != Status.Code.OK) {
                            sleep(20);
                        }
                    }
                });
                thread.start();
                load.add(thread);
            }
            Thread.sleep(2000);
            int servedBefore = statuses.size();
            int rpcsBefore = rpcCodes.size();
            long sigterm = System.nanoTime();
            sigtermAt.set(sigterm);
            app.destroy(); // SIGTERM
            long readinessDown = -1;
            int readinessAnswer = 0;
            while (System.nanoTime() - sigterm < TimeUnit.SECONDS.toNanos(5)) {
                int answer = probe(port, "/actuator/health/readiness");
                if (answer != 200) {
                    readinessDown = (System.nanoTime() - sigterm) / 1_000_000;
                    readinessAnswer = answer;
                    break;
                }
                Thread.sleep(20);
            }
            HealthCheckResponse.ServingStatus grpcHealth = readinessDown < 0 ? null : HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
            // Probed again on fresh connections through the first second of the notice: still 503, not refused.
            List<Integer> noticeAnswers = new ArrayList<>();
            long noticeUntil = sigterm + TimeUnit.MILLISECONDS.toNanos(1000);
            while (readinessDown >= 0 && System.nanoTime() < noticeUntil) {
                noticeAnswers.add(probe(port, "/actuator/health/readiness"));
                Thread.sleep(50);
            }
            boolean exited = app.waitFor(SHUTDOWN_PHASE_SECONDS + 5, TimeUnit.SECONDS);
            long exitMillis = (System.nanoTime() - sigterm) / 1_000_000;
            running.set(false);
            for (Thread thread : load) {
                thread.join(35_000);
            }
            long failures = statuses.stream().filter(s -> s != 200).count();
            Map<Status.Code, Long> rpcOutcomes = rpcCodes.stream()
                    .collect(Collectors.groupingBy(c -> c, () -> new EnumMap<>(Status.Code.class), Collectors.counting()));
            System.out.printf(Locale.ROOT, "graceful shutdown, gRPC: %s (%d before SIGTERM, %d served after it);"
                    + " health during the notice %s%n", rpcOutcomes, rpcsBefore, servedAfterSigterm.get(), grpcHealth);
            System.out.printf(Locale.ROOT, "graceful shutdown: %d requests answered (%d before SIGTERM), %d failed, %d not accepted,"
                    + " %d closed unanswered, %d broken after acceptance; readiness %s after %d ms, then %s;"
                    + " exit after %d ms (code %s)%n",
                    statuses.size(), servedBefore, failures, notAccepted.size(), closedUnanswered.size(), broken.size(),
                    readinessAnswer == -1 ? "refused" : "answered " + readinessAnswer, readinessDown, noticeAnswers, exitMillis,
                    exited ? app.exitValue() : "none");
            assertTrue(servedBefore > 0 && rpcsBefore > 0, "the load ran");
            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, grpcHealth, "gRPC health follows readiness at once");
            assertTrue(servedAfterSigterm.get() > 0, "RPCs were still served through the drain notice: " + rpcOutcomes);
            assertTrue(rpcCodes.stream().allMatch(c -> c == Status.Code.OK || c == Status.Code.UNAVAILABLE),
                    "every RPC was answered, or refused as UNAVAILABLE once the server shut down: " + rpcOutcomes);
            assertTrue(readinessDown >= 0 && readinessDown < 1000, "readiness went down at once: " + readinessDown);
            assertTrue(exited, "the process exited within the shutdown phase");
            assertEquals(143, app.exitValue(), "the JVM ended by its SIGTERM (128 + 15), not a crash or a kill");
            assertEquals(0, failures, "every accepted request was answered 200: " + statuses);
            assertEquals(List.of(), List.copyOf(broken), "no accepted request was cut off");
            String server = Files.readString(log);
            assertTrue(server.contains("Graceful shutdown complete") && !server.contains("Graceful shutdown aborted"),
                    "the server finished every request it had accepted before it stopped:\n" + server);
            // For resnet.shutdown.drain-notice (2 s by default) the server still takes connections while
            // readiness says 503; only then does the connector close and the drain begin.
            assertEquals(503, readinessAnswer, "readiness while draining answers 503, not a refused connection");
            assertTrue(!noticeAnswers.isEmpty() && noticeAnswers.stream().allMatch(a -> a == 503),
                    "readiness answered 503 on new connections through the drain notice: " + noticeAnswers);
        } finally {
            channel.shutdownNow();
            app.destroyForcibly();
        }
    }

    static int status(HttpClient client, String url) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** As a kubelet probes: a new connection for each request, so a refused connection reads as -1. */
    static int probe(int port, String path) {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return statusLine == null ? -1 : Integer.parseInt(statusLine.split(" ")[1]);
        } catch (IOException e) {
            return -1;
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
