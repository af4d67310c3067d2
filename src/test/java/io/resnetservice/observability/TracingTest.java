package io.resnetservice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import io.resnetservice.grpc.v2.ModelInferRequest;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.OtlpCollector;
import io.resnetservice.support.OtlpCollector.Received;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service with tracing on, exporting over OTLP/HTTP to a collector in the test: a request carrying
 * a W3C {@code traceparent} yields spans for the request and each stage, all in the caller's trace.
 * One batching worker and a long gathering delay make two concurrent requests share a forward pass.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class TracingTest {

    static final OtlpCollector COLLECTOR = OtlpCollector.start();
    static final List<String> STAGES = List.of("image.decode", "image.preprocess", "inference.queue", "inference.forward");
    private static final Random RANDOM = new Random();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", RandomModelServiceTest.MODELS::toString);
        registry.add("resnet.device", () -> "cpu");
        registry.add("resnet.batching.workers", () -> "1");
        registry.add("resnet.batching.max-delay", () -> "300ms");
        registry.add("management.tracing.sampling.probability", () -> "1.0");
        registry.add("management.opentelemetry.tracing.export.otlp.endpoint", COLLECTOR::endpoint);
        registry.add("management.opentelemetry.tracing.export.schedule-delay", () -> "100ms");
    }

    @AfterAll
    static void stopCollector() {
        COLLECTOR.close();
    }

    @LocalServerPort
    int port;
    @Autowired
    GrpcServerLifecycle grpcServer;

    static String hex(int bytes) {
        byte[] id = new byte[bytes];
        RANDOM.nextBytes(id);
        id[0] |= 1;
        return HexFormat.of().formatHex(id);
    }

    /** A client that continues the trace {@code traceId} from the span {@code callerSpan}, sampled. */
    Http caller(String traceId, String callerSpan) {
        return new Http(port).with("traceparent", "00-" + traceId + "-" + callerSpan + "-01");
    }

    static Multipart png(long seed) {
        return new Multipart().file("image", "x.png", "image/png", TestImages.png(TestImages.grey(28, 28, seed)));
    }

    /** The spans of one trace, once {@code complete} holds for them (the exporter sends in batches). */
    static List<Received> awaitTrace(String traceId, Predicate<List<Received>> complete) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<Received> spans = COLLECTOR.spans().stream().filter(s -> s.traceId().equals(traceId)).toList();
            if (complete.test(spans)) {
                return spans;
            }
            if (System.nanoTime() > deadline) {
                fail("trace " + traceId + " incomplete after 30 s: " + spans.stream().map(Received::name).toList());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static Predicate<List<Received>> hasServerAnd(List<String> names) {
        return spans -> spans.stream().anyMatch(s -> s.kind() == SpanKind.SPAN_KIND_SERVER)
                && spans.stream().map(Received::name).collect(Collectors.toSet()).containsAll(names);
    }

    /** The server span continues the caller's span and every stage is its child. */
    static void assertStagesUnderServer(List<Received> spans, String callerSpan, List<String> stages) {
        List<Received> servers = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER).toList();
        assertEquals(1, servers.size(), spans.toString());
        Received server = servers.get(0);
        assertEquals(callerSpan, server.parentSpanId(), "the server span continues the caller's");
        for (String stage : stages) {
            List<Received> found = spans.stream().filter(s -> s.name().equals(stage)).toList();
            assertEquals(1, found.size(), stage + " in " + spans);
            assertEquals(server.spanId(), found.get(0).parentSpanId(), stage + " is a child of the request's span");
        }
    }

    @Test
    void aClassifyRequestIsTracedThroughEveryStageInTheCallersTrace() {
        String trace = hex(16);
        String span = hex(8);
        Http.Response r = caller(trace, span).post("/api/v1/classify", png(1));
        assertEquals(200, r.status(), r.body());
        List<Received> spans = awaitTrace(trace, hasServerAnd(STAGES));
        assertStagesUnderServer(spans, span, STAGES);
        assertTrue(spans.stream().filter(s -> s.name().equals("inference.forward")).findFirst().orElseThrow().raw()
                .getAttributesList().stream().anyMatch(a -> a.getKey().equals("batch.images")));
    }

    @Test
    void aV2InferRequestIsTracedToo() {
        String trace = hex(16);
        String span = hex(8);
        String b64 = Base64.getEncoder().encodeToString(TestImages.png(TestImages.grey(28, 28, 2)));
        Http.Response r = caller(trace, span).post("/v2/models/" + io.resnetservice.support.TestModels.NAME + "/infer",
                "application/json", ("{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", "
                        + "\"data\": [\"" + b64 + "\"]}]}").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.status(), r.body());
        assertStagesUnderServer(awaitTrace(trace, hasServerAnd(STAGES)), span, STAGES);
    }

    /** A traceparent in gRPC metadata is continued as HTTP's is; the RPC is also timed as grpc.server. */
    @Test
    void aGrpcModelInferIsTracedInTheCallersTraceAndMeasured() throws Exception {
        String trace = hex(16);
        String span = hex(8);
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + trace + "-" + span + "-01");
        ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("image").setDatatype("BYTES").addShape(1);
        input.getContentsBuilder().addBytesContents(ByteString.copyFrom(TestImages.png(TestImages.grey(28, 28, 4))));
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", grpcServer.getPort()).usePlaintext().build();
        try {
            GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
                    .modelInfer(ModelInferRequest.newBuilder().setModelName(io.resnetservice.support.TestModels.NAME)
                            .addInputs(input).build());
        } finally {
            channel.shutdownNow();
        }
        List<String> stages = List.of("image.decode", "image.preprocess", "inference.queue", "inference.forward");
        List<Received> spans = awaitTrace(trace, hasServerAnd(stages));
        assertStagesUnderServer(spans, span, stages);
        assertTrue(spans.stream().anyMatch(s -> s.kind() == SpanKind.SPAN_KIND_SERVER
                && s.name().contains("ModelInfer")), "the server span names the RPC: " + spans);
        String metrics = new Http(port).get("/actuator/prometheus").body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("grpc_server_seconds_count")
                && l.contains("ModelInfer") && l.contains("OK")), "gRPC server metrics through the observation");
    }

    @Test
    void aClientErrorCarriesTheTraceIdInTheProblemAndTheLogLine(CapturedOutput output) {
        String trace = hex(16);
        Http.Response r = caller(trace, hex(8)).post("/api/v1/classify", "image/png", "not a png".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, r.status(), r.body());
        assertEquals(trace, r.json().get("traceId").asString());
        assertTrue(output.getAll().lines().anyMatch(l -> l.contains("Answered 400") && l.contains(trace)),
                "the log line of the answer names the trace");
        assertTrue(awaitTrace(trace, hasServerAnd(List.of())).stream().noneMatch(s -> s.name().equals("inference.forward")),
                "an undecodable image never reaches the model");
    }

    @Test
    void aV2ErrorCarriesTheTraceIdToo() {
        String trace = hex(16);
        Http.Response r = caller(trace, hex(8)).post("/v2/models/" + io.resnetservice.support.TestModels.NAME + "/infer",
                "application/json", "{\"inputs\": []}".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, r.status(), r.body());
        assertTrue(r.json().has("error"), r.body());
        assertEquals(trace, r.json().get("traceId").asString());
    }

    /**
     * Two requests sent together share a pass only when the second has arrived before the worker takes
     * the first, which thread scheduling decides; so the pair is sent again until one pass holds both,
     * and every pass that holds both must link the other request's trace.
     */
    @Test
    void requestsSharingAForwardPassAreLinkedToIt() throws Exception {
        List<List<Received>> seen = new ArrayList<>();
        for (int attempt = 0; attempt < 8; attempt++) {
            String first = hex(16);
            String second = hex(16);
            CountDownLatch start = new CountDownLatch(1);
            CompletableFuture<Http.Response> a = CompletableFuture.supplyAsync(() -> {
                await(start);
                return caller(first, hex(8)).post("/api/v1/classify", png(3));
            });
            CompletableFuture<Http.Response> b = CompletableFuture.supplyAsync(() -> {
                await(start);
                return caller(second, hex(8)).post("/api/v1/classify", png(4));
            });
            start.countDown();
            assertEquals(200, a.get().status());
            assertEquals(200, b.get().status());
            // Spans are exported in the order they end; the pass ends before either answer, the server spans after.
            List<Received> forwards = List.of(first, second).stream()
                    .flatMap(t -> awaitTrace(t, hasServerAnd(List.of("inference.queue"))).stream())
                    .filter(s -> s.name().equals("inference.forward")).toList();
            seen.add(forwards);
            if (forwards.size() == 1) {
                Received pass = forwards.get(0);
                String other = pass.traceId().equals(first) ? second : first;
                assertEquals(List.of(other), pass.linkedTraceIds(), "the pass links the other request's trace");
                assertEquals(2L, pass.raw().getAttributesList().stream()
                        .filter(kv -> kv.getKey().equals("batch.requests"))
                        .findFirst().orElseThrow().getValue().getIntValue());
                return;
            }
            assertEquals(2, forwards.size(), "each request computed once: " + forwards);
            assertTrue(forwards.stream().allMatch(f -> f.linkedTraceIds().isEmpty()), "a pass of one links nothing");
        }
        fail("no pair of concurrent requests shared a pass (one worker, 300 ms gathering) in 8 tries: " + seen);
    }

    @Test
    void latencyHistogramsCarryTraceExemplars() {
        String trace = hex(16);
        assertEquals(200, caller(trace, hex(8)).post("/api/v1/classify", png(5)).status());
        String scrape = new Http(port).with("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                .get("/actuator/prometheus").body();
        for (String histogram : List.of("inference_requests_seconds_bucket", "inference_forward_seconds_bucket",
                "inference_queue_seconds_bucket")) {
            Set<String> exemplars = scrape.lines().filter(l -> l.startsWith(histogram + "{") && l.contains("trace_id=\""))
                    .map(l -> l.replaceAll(".*trace_id=\"([0-9a-f]+)\".*", "$1")).collect(Collectors.toSet());
            assertFalse(exemplars.isEmpty(), histogram + " has exemplars");
        }
        assertTrue(scrape.contains("trace_id=\"" + trace + "\""), "the latest request is an exemplar");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
