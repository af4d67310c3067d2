package io.resnetservice.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.resnetservice.grpc.v2.GRPCInferenceServiceGrpc;
import io.resnetservice.grpc.v2.ModelInferRequest;
import io.resnetservice.grpc.v2.ModelInferResponse;
import io.resnetservice.grpc.v2.ModelMetadataRequest;
import io.resnetservice.grpc.v2.ModelReadyRequest;
import io.resnetservice.grpc.v2.RepositoryIndexRequest;
import io.resnetservice.grpc.v2.RepositoryIndexResponse;
import io.resnetservice.grpc.v2.RepositoryModelLoadRequest;
import io.resnetservice.grpc.v2.RepositoryModelUnloadRequest;
import io.resnetservice.grpc.v2.ServerLiveRequest;
import io.resnetservice.grpc.v2.ServerReadyRequest;
import io.resnetservice.serving.DrainNotice;
import io.resnetservice.serving.ServiceLoad;
import io.resnetservice.support.Http;
import io.resnetservice.support.TempDirs;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * What the gRPC door shares with the HTTP one: API keys (x-api-key or Bearer; admin keys for the
 * repository), the model repository, forward passes with HTTP requests, and the queue's refusals.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GrpcDoorsTest {

    static final String ADMIN = "admin-key-for-grpc";
    static final String USER = "inference-key-for-grpc";
    static final long GATHER_MILLIS = 1500;
    static final Path MODELS = models();

    static Path models() {
        try {
            Path dir = TempDirs.create("grpc-doors");
            TestModels.writeRandomFashion(dir.resolve("fashion").resolve("1"), "fashion");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.device", () -> "cpu");
        registry.add("resnet.default-model", () -> "fashion");
        registry.add("resnet.security.admin-keys", () -> ADMIN);
        registry.add("resnet.security.api-keys", () -> USER);
        // One worker that gathers a batch for long enough to see two doors' requests meet in it, and a
        // queue small enough to fill.
        registry.add("spring.grpc.server.reflection.enabled", () -> "true");
        registry.add("resnet.batching.workers", () -> "1");
        registry.add("resnet.batching.max-batch-size", () -> "4");
        registry.add("resnet.batching.max-delay", () -> GATHER_MILLIS + "ms");
        registry.add("resnet.batching.queue-capacity", () -> "2");
        registry.add("resnet.limits.max-images-per-request", () -> "4");
    }

    @LocalServerPort
    int port;
    @Autowired
    GrpcServerLifecycle grpcServer;
    @Autowired
    MeterRegistry registry;
    @Autowired
    ServiceLoad load;
    @Autowired
    ConfigurableListableBeanFactory beans;

    ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("localhost", grpcServer.getPort()).usePlaintext().build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static Metadata header(String name, String value) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        return m;
    }

    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(Metadata headers) {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        return headers == null ? stub : stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub user() {
        return stub(header("x-api-key", USER));
    }

    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub admin() {
        return stub(header("authorization", "Bearer " + ADMIN));
    }

    static ModelInferRequest images(int n, int seed) {
        List<byte[]> pngs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pngs.add(TestImages.png(TestImages.grey(28, 28, seed + i)));
        }
        return GrpcInferenceTest.bytesTyped(pngs.toArray(byte[][]::new)).toBuilder().setModelName("fashion").build();
    }

    @Test
    void apiKeysGuardInferenceAndAdminKeysTheRepository() {
        ModelInferRequest one = images(1, 1);
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcInferenceTest.code(() -> stub(null).modelInfer(one)));
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcInferenceTest.code(() -> stub(header("x-api-key", "wrong"))
                .modelInfer(one)));
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcInferenceTest.code(() -> admin().modelInfer(one)),
                "an admin key is not an inference key");
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcInferenceTest.code(() -> stub(null).modelMetadata(
                ModelMetadataRequest.newBuilder().setName("fashion").build())));
        assertEquals(10, user().modelInfer(one).getOutputs(0).getShape(1));
        assertEquals(10, stub(header("authorization", "Bearer " + USER)).modelInfer(one).getOutputs(0).getShape(1));

        // Liveness, readiness and gRPC health are for probes, which carry no keys.
        assertTrue(stub(null).serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub(null).serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus());

        RepositoryIndexRequest index = RepositoryIndexRequest.getDefaultInstance();
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcInferenceTest.code(() -> stub(null).repositoryIndex(index)));
        assertEquals(Status.Code.PERMISSION_DENIED, GrpcInferenceTest.code(() -> user().repositoryIndex(index)));
        RepositoryIndexResponse models = admin().repositoryIndex(index);
        assertEquals("fashion", models.getModels(0).getName());
        assertEquals("READY", models.getModels(0).getState());
    }

    @Test
    void theRepositoryTakesNamesAndAnUnloadedModelIsUnavailable() {
        for (String name : List.of("..", "../fashion", "fashion/1", "/etc", "http://example.com/m", ".hidden")) {
            assertEquals(Status.Code.INVALID_ARGUMENT, GrpcInferenceTest.code(() -> admin().repositoryModelLoad(
                    RepositoryModelLoadRequest.newBuilder().setModelName(name).build())), name);
        }
        assertEquals(Status.Code.NOT_FOUND, GrpcInferenceTest.code(() -> admin().repositoryModelLoad(
                RepositoryModelLoadRequest.newBuilder().setModelName("missing").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, GrpcInferenceTest.code(() -> admin().repositoryModelLoad(
                RepositoryModelLoadRequest.newBuilder().setModelName("fashion").putParameters("config",
                        io.resnetservice.grpc.v2.ModelRepositoryParameter.newBuilder().setStringParam("{}").build())
                        .build())), "Triton's config and file parameters are refused");

        admin().repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("fashion").build());
        try {
            assertEquals(Status.Code.UNAVAILABLE, GrpcInferenceTest.code(() -> user().modelInfer(images(1, 2))));
            assertEquals(Status.Code.UNAVAILABLE, GrpcInferenceTest.code(() -> user().modelReady(
                    ModelReadyRequest.newBuilder().setName("fashion").build())));
            assertEquals("UNAVAILABLE", admin().repositoryIndex(RepositoryIndexRequest.getDefaultInstance())
                    .getModels(0).getState());
            assertTrue(admin().repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
                    .getModelsList().isEmpty(), "ready only");
        } finally {
            admin().repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("fashion").build());
        }
        assertEquals("1", user().modelInfer(images(1, 3)).getModelVersion());
    }

    @Test
    void aGrpcAndAnHttpRequestShareOneForwardPass() throws Exception {
        DistributionSummary batches = registry.find("inference.batch.size").tag("model", "fashion").summary();
        assertNotNull(batches);
        long passesBefore = batches.count();
        double imagesBefore = batches.totalAmount();

        // The gRPC call starts (its headers arrive and it is counted in flight) before its message is sent.
        // grpc-java holds a unary call's headers back until its message, so the client declares the
        // method as streaming to flush them at once; the server serves it as the unary ModelInfer.
        MethodDescriptor<ModelInferRequest, ModelInferResponse> headersFirst = GRPCInferenceServiceGrpc
                .getModelInferMethod().toBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING).build();
        ClientCall<ModelInferRequest, ModelInferResponse> call = channel.newCall(
                headersFirst, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
        CompletableFuture<ModelInferResponse> grpcAnswer = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(ModelInferResponse message) {
                grpcAnswer.complete(message);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                if (!status.isOk()) {
                    grpcAnswer.completeExceptionally(status.asRuntimeException());
                }
            }
        }, header("x-api-key", USER));
        call.request(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (load.requestsInFlight() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, load.requestsInFlight(), "the started call is in flight");

        // The HTTP request reaches the worker, which waits for the request on its way instead of running alone.
        Http http = new Http(port).with("X-API-Key", USER);
        CompletableFuture<Http.Response> httpAnswer = CompletableFuture.supplyAsync(() -> http.post(
                "/api/v1/models/fashion/classify", "image/png", TestImages.png(TestImages.grey(28, 28, 9))));
        Thread.sleep(GATHER_MILLIS / 4);
        call.sendMessage(images(1, 4));
        call.halfClose();

        Http.Response fromHttp = httpAnswer.get(30, TimeUnit.SECONDS);
        ModelInferResponse fromGrpc = grpcAnswer.get(30, TimeUnit.SECONDS);
        assertEquals(200, fromHttp.status(), fromHttp.body());
        assertEquals(10, fromGrpc.getOutputs(0).getShape(1));
        assertEquals(1, batches.count() - passesBefore, "one forward pass for both");
        assertEquals(2.0, batches.totalAmount() - imagesBefore, 1e-9, "of both images");
        assertEquals(0, load.requestsInFlight(), "both answered");
    }

    /** Reflection, switched on here (it is off by default), lists the services without a key. */
    @Test
    void serverReflectionWhenAskedFor() throws Exception {
        assertEquals(List.of("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "inference.GRPCInferenceService"), reflectedServices(channel));
    }

    /** The services grpc.reflection.v1 lists, as grpcurl asks for them. */
    static List<String> reflectedServices(ManagedChannel channel) throws Exception {
        CompletableFuture<List<String>> services = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        services.complete(response.getListServicesResponse().getServiceList().stream()
                                .map(ServiceResponse::getName).sorted().toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        services.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        services.complete(List.of());
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        try {
            return services.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Test
    void theDrainNoticeStopsBeforeTheGrpcServer() {
        // Lifecycle beans of one phase stop their dependents first (GracefulShutdownIT shows the effect).
        String[] servers = beans.getBeanNamesForType(GrpcServerLifecycle.class);
        String[] notices = beans.getBeanNamesForType(DrainNotice.class);
        assertEquals(1, servers.length);
        assertEquals(1, notices.length);
        assertTrue(Arrays.asList(beans.getDependentBeans(servers[0])).contains(notices[0]),
                "the drain notice depends on the gRPC server: " + Arrays.toString(beans.getDependentBeans(servers[0])));
    }

    @Test
    void aFullQueueIsResourceExhaustedWithRetryAfter() throws Exception {
        ModelInferRequest four = images(4, 10);
        var async = GRPCInferenceServiceGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(header("x-api-key", USER)));
        ConcurrentLinkedQueue<String> outcomes = new ConcurrentLinkedQueue<>();
        int calls = 48;
        CountDownLatch done = new CountDownLatch(calls);
        for (int i = 0; i < calls; i++) {
            async.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(four, new StreamObserver<>() {
                @Override
                public void onNext(ModelInferResponse value) {
                    outcomes.add("OK");
                }

                @Override
                public void onError(Throwable t) {
                    Status status = Status.fromThrowable(t);
                    Metadata trailers = Status.trailersFromThrowable(t);
                    String retryAfter = trailers == null ? null : trailers.get(GrpcErrors.RETRY_AFTER);
                    outcomes.add(status.getCode() + (retryAfter == null ? "" : " retry-after"));
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), "every call was answered");
        long ok = outcomes.stream().filter("OK"::equals).count();
        long refused = outcomes.stream().filter("RESOURCE_EXHAUSTED retry-after"::equals).count();
        System.out.printf(Locale.ROOT, "grpc overload: %d calls of 4 images, queue of 2: %d served, %d refused%n",
                calls, ok, refused);
        assertEquals(calls, ok + refused, "served, or refused with retry-after: " + outcomes);
        assertTrue(ok > 0 && refused > 0, "some served, some refused: " + outcomes);
        assertEquals(0, load.requestsInFlight(), "nothing left counted in flight");
        assertEquals(10, user().modelInfer(images(1, 5)).getOutputs(0).getShape(1), "served again afterwards");
    }

}
