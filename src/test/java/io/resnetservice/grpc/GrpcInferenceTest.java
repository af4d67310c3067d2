package io.resnetservice.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.resnetservice.grpc.v2.InferParameter;
import io.resnetservice.grpc.v2.InferTensorContents;
import io.resnetservice.grpc.v2.ModelInferRequest;
import io.resnetservice.grpc.v2.ModelInferResponse;
import io.resnetservice.grpc.v2.ModelMetadataRequest;
import io.resnetservice.grpc.v2.ModelMetadataResponse;
import io.resnetservice.grpc.v2.ModelReadyRequest;
import io.resnetservice.grpc.v2.RepositoryIndexRequest;
import io.resnetservice.grpc.v2.ServerLiveRequest;
import io.resnetservice.grpc.v2.ServerMetadataRequest;
import io.resnetservice.grpc.v2.ServerReadyRequest;
import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.RawTensors;
import io.resnetservice.serving.ServedVersion;
import io.resnetservice.support.Http;
import io.resnetservice.support.OsPackage;
import io.resnetservice.support.Python;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.RestV1;
import io.resnetservice.support.Requires;
import io.resnetservice.support.TempDirs;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import tools.jackson.databind.JsonNode;

/**
 * The Open Inference Protocol over gRPC through grpc-java stubs of our proto, against the real service:
 * for the same images, REST v1's probabilities from BYTES (typed and raw) and FP32 (typed and raw)
 * inputs, the classification extension, metadata, health, and a status code for each kind of refusal.
 */
class GrpcInferenceTest extends RandomModelServiceTest {

    static final byte[] PNG = TestImages.png(TestImages.grey(40, 36, 3));
    static final byte[] JPEG = TestImages.jpeg(TestImages.rgb(90, 70, 5), 0.9f);

    @Autowired
    GrpcServerLifecycle grpcServer;
    @Autowired
    ModelRegistry models;
    @Autowired
    ClassificationService classifier;

    ManagedChannel channel;
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("localhost", grpcServer.getPort()).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static ModelInferRequest.Builder request(String datatype, long... shape) {
        ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(datatype.equals("FP32") ? "input" : "image").setDatatype(datatype);
        for (long d : shape) {
            input.addShape(d);
        }
        return ModelInferRequest.newBuilder().setModelName(TestModels.NAME).addInputs(input);
    }

    static ModelInferRequest bytesTyped(byte[]... images) {
        ModelInferRequest.Builder r = request("BYTES", images.length);
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (byte[] image : images) {
            contents.addBytesContents(ByteString.copyFrom(image));
        }
        r.getInputsBuilder(0).setContents(contents);
        return r.build();
    }

    static ByteString lengthPrefixed(byte[]... elements) {
        int size = 0;
        for (byte[] e : elements) {
            size += 4 + e.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] e : elements) {
            b.putInt(e.length).put(e);
        }
        return ByteString.copyFrom(b.array());
    }

    static float[] probabilities(ModelInferResponse response) {
        assertEquals("probabilities", response.getOutputs(0).getName());
        assertEquals("FP32", response.getOutputs(0).getDatatype());
        if (response.getRawOutputContentsCount() > 0) {
            assertEquals(0, response.getOutputs(0).getContents().getFp32ContentsCount(), "raw or typed, not both");
            ByteBuffer raw = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[raw.remaining() / 4];
            raw.asFloatBuffer().get(out);
            return out;
        }
        List<Float> typed = response.getOutputs(0).getContents().getFp32ContentsList();
        float[] out = new float[typed.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = typed.get(i);
        }
        return out;
    }

    @Test
    void bytesInputsTypedAndRawGiveRestV1sProbabilities() {
        float[][] rest = RestV1.probabilities(http, PNG, JPEG);

        ModelInferResponse typed = stub.modelInfer(bytesTyped(PNG, JPEG).toBuilder().setId("req-7").build());
        assertEquals("req-7", typed.getId());
        assertEquals(TestModels.NAME, typed.getModelName());
        assertEquals("1", typed.getModelVersion());
        assertEquals(List.of(2L, 10L), typed.getOutputs(0).getShapeList());
        assertEquals(0, typed.getRawOutputContentsCount(), "typed in, typed out");
        RestV1.assertSameProbabilities(rest, probabilities(typed));

        ModelInferResponse raw = stub.modelInfer(request("BYTES", 2).addRawInputContents(lengthPrefixed(PNG, JPEG))
                .build());
        assertEquals(1, raw.getRawOutputContentsCount(), "raw in, raw out");
        RestV1.assertSameProbabilities(rest, probabilities(raw));
    }

    @Test
    void fp32InputsTypedAndRawGiveRestV1sProbabilitiesOfTheSameImages() {
        float[][] rest = RestV1.probabilities(http, PNG, JPEG);
        float[] tensor;
        try (ServedVersion.Lease lease = models.acquire(TestModels.NAME).orElseThrow()) {
            tensor = classifier.prepare(lease.model(), List.of(PNG, JPEG)).tensor();
        }
        assertEquals(2 * 784, tensor.length);

        ModelInferRequest.Builder typed = request("FP32", 2, 1, 28, 28);
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float v : tensor) {
            contents.addFp32Contents(v);
        }
        typed.getInputsBuilder(0).setContents(contents);
        RestV1.assertSameProbabilities(rest, probabilities(stub.modelInfer(typed.build())));

        ModelInferRequest raw = request("FP32", 2, 1, 28, 28)
                .addRawInputContents(ByteString.copyFrom(RawTensors.floats(tensor))).build();
        ModelInferResponse response = stub.modelInfer(raw);
        assertEquals(1, response.getRawOutputContentsCount());
        RestV1.assertSameProbabilities(rest, probabilities(response));
    }

    /** KServe's proto compiled to Python (Debian's protoc and grpcio), through examples/grpc_client.py. */
    @Test
    @Requires(OsPackage.GRPC_PYTHON)
    void aPythonClientGeneratedFromTheProtoGetsRestV1sProbabilities() throws IOException {
        float[][] rest = RestV1.probabilities(http, PNG, JPEG);
        float[] tensor;
        try (ServedVersion.Lease lease = models.acquire(TestModels.NAME).orElseThrow()) {
            tensor = classifier.prepare(lease.model(), List.of(PNG, JPEG)).tensor();
        }
        Path dir = TempDirs.create("grpc-python");
        Path stubs = Files.createDirectories(dir.resolve("gen"));
        Python.generateGrpcClient(stubs);
        Path png = Files.write(dir.resolve("grey.png"), PNG);
        Path jpeg = Files.write(dir.resolve("colour.jpg"), JPEG);
        Path floats = Files.write(dir.resolve("input.f32"), RawTensors.floats(tensor));
        String target = "localhost:" + grpcServer.getPort();
        List<String> client = List.of(Python.PYTHON, "examples/grpc_client.py", "--target", target, "--model",
                TestModels.NAME, "--id", "from-python");
        Map<String, List<String>> modes = new LinkedHashMap<>();
        modes.put("BYTES typed", List.of(png.toString(), jpeg.toString()));
        modes.put("BYTES raw", List.of("--raw", png.toString(), jpeg.toString()));
        modes.put("FP32 typed", List.of("--fp32", floats.toString(), "--shape", "2,1,28,28"));
        modes.put("FP32 raw", List.of("--raw", "--fp32", floats.toString(), "--shape", "2,1,28,28"));
        for (Map.Entry<String, List<String>> mode : modes.entrySet()) {
            List<String> command = new ArrayList<>(client);
            command.addAll(mode.getValue());
            JsonNode response = Http.JSON.readTree(Python.run(command, Map.of("PYTHONPATH", stubs.toString())));
            assertEquals("from-python", response.get("id").asString(), mode.getKey());
            assertEquals("1", response.get("model_version").asString(), mode.getKey());
            JsonNode output = response.get("outputs").get(0);
            assertEquals("probabilities", output.get("name").asString(), mode.getKey());
            assertEquals("[2,10]", output.get("shape").toString(), mode.getKey());
            float[] probabilities = new float[20];
            for (int i = 0; i < 20; i++) {
                probabilities[i] = (float) output.get("data").get(i).asDouble();
            }
            RestV1.assertSameProbabilities(rest, probabilities);
        }
    }

    @Test
    void classificationExtensionTypedAndRaw() {
        float[][] rest = RestV1.probabilities(http, JPEG);
        int top = 0;
        for (int c = 1; c < 10; c++) {
            top = rest[0][c] > rest[0][top] ? c : top;
        }
        ModelInferRequest.InferRequestedOutputTensor top3 = ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                .setName("probabilities").putParameters("classification",
                        InferParameter.newBuilder().setInt64Param(3).build()).build();
        ModelInferResponse typed = stub.modelInfer(bytesTyped(JPEG).toBuilder().addOutputs(top3).build());
        assertEquals("BYTES", typed.getOutputs(0).getDatatype());
        assertEquals(List.of(1L, 3L), typed.getOutputs(0).getShapeList());
        List<String> classes = typed.getOutputs(0).getContents().getBytesContentsList().stream()
                .map(ByteString::toStringUtf8).toList();
        assertEquals(3, classes.size());
        String[] first = classes.get(0).split(":", 3);
        assertEquals(Integer.toString(top), first[1]);
        assertEquals(rest[0][top], Float.parseFloat(first[0]), 1e-6);

        ModelInferResponse raw = stub.modelInfer(request("BYTES", 1).addRawInputContents(lengthPrefixed(JPEG))
                .addOutputs(top3).build());
        ByteBuffer b = raw.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (String expected : classes) {
            byte[] element = new byte[b.getInt()];
            b.get(element);
            assertEquals(expected, new String(element, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertEquals(0, b.remaining());
    }

    @Test
    void serverReflectionIsOffByDefault() {
        var e = assertThrows(StatusRuntimeException.class, () -> GrpcDoorsTest.reflectedServices(channel));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }

    @Test
    void healthMetadataAndReadiness() {
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName(TestModels.NAME).build()).getReady());
        assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName(TestModels.NAME).setVersion("1").build())
                .getReady());
        var server = stub.serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("resnet-service", server.getName());
        assertTrue(server.getExtensionsList().contains("classification"));

        ModelMetadataResponse meta = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(TestModels.NAME)
                .build());
        assertEquals(List.of("1"), meta.getVersionsList());
        assertEquals("input", meta.getInputs(0).getName());
        assertEquals(List.of(-1L, 1L, 28L, 28L), meta.getInputs(0).getShapeList());
        assertEquals("BYTES", meta.getInputs(1).getDatatype());
        assertEquals(List.of(-1L, 10L), meta.getOutputs(0).getShapeList());
        JsonNode rest = http.get("/v2/models/" + TestModels.NAME).json();
        assertEquals(rest.get("outputs").size(), meta.getOutputsCount(), "the same outputs as REST v2");

        var health = HealthGrpc.newBlockingStub(channel);
        assertEquals(HealthCheckResponse.ServingStatus.SERVING,
                health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder()
                .setService("inference.GRPCInferenceService").build()).getStatus());
    }

    static Status.Code code(Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        String description = e.getStatus().getDescription();
        assertTrue(description != null && !description.isBlank(), "a message for the client: " + e.getStatus());
        return e.getStatus().getCode();
    }

    @Test
    void aClientsMistakesAreInvalidArgument() {
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("INT8", 1).build())),
                "bad datatype");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("FP32", 1, 3, 28, 28)
                .addRawInputContents(ByteString.copyFrom(new byte[3 * 784 * 4])).build())), "bad shape");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("FP32", 1, 1, 28, 28)
                .addRawInputContents(ByteString.copyFrom(new byte[783 * 4])).build())), "too few raw values");
        float[] withNaN = new float[784];
        withNaN[5] = Float.NaN;
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("FP32", 1, 1, 28, 28)
                .addRawInputContents(ByteString.copyFrom(RawTensors.floats(withNaN))).build())), "NaN values");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(
                bytesTyped("not an image at all".getBytes(java.nio.charset.StandardCharsets.UTF_8)))), "undecodable");
        ByteString truncated = lengthPrefixed(PNG).substring(0, PNG.length);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("BYTES", 1)
                .addRawInputContents(truncated).build())), "a length past the end");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("BYTES", 2)
                .addRawInputContents(lengthPrefixed(PNG)).build())), "shape and elements disagree");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(bytesTyped(PNG).toBuilder()
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build())),
                "unknown output");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(bytesTyped(PNG).toBuilder()
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("BYTES")).build())),
                "two inputs");
    }

    @Test
    void unknownModelsAndVersionsAreNotFound() {
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelInfer(bytesTyped(PNG).toBuilder()
                .setModelName("no-such-model").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelInfer(bytesTyped(PNG).toBuilder()
                .setModelVersion("9").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelInfer(bytesTyped(PNG).toBuilder()
                .setModelVersion("../1").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder()
                .setName("no-such-model").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelReady(ModelReadyRequest.newBuilder()
                .setName("no-such-model").build())));
    }

    @Test
    void overLimitsIsResourceExhausted() {
        // resnet.limits here: 300KB per image, 1MB per request (the gRPC message limit too), 4 images.
        byte[] big = new byte[400 * 1024];
        System.arraycopy(PNG, 0, big, 0, PNG.length);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.modelInfer(bytesTyped(big))), "image bytes");
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.modelInfer(request("BYTES", 1)
                .addRawInputContents(lengthPrefixed(big)).build())), "raw image bytes");
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.modelInfer(bytesTyped(PNG, PNG, PNG, PNG, PNG))),
                "images per request");
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.modelInfer(request("FP32", 5, 1, 28, 28)
                .addRawInputContents(ByteString.copyFrom(new byte[5 * 784 * 4])).build())), "tensors per request");
        byte[] part = new byte[290 * 1024];
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.modelInfer(bytesTyped(part, part, part, part))),
                "a message over max-request-bytes");
        byte[] bomb = TestImages.pngDeclaring(30000, 30000);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.modelInfer(bytesTyped(bomb))), "pixels");
    }

    @Test
    void theRepositoryIsUnimplementedWithoutAdminKeys() {
        assertEquals(Status.Code.UNIMPLEMENTED, code(() -> stub.repositoryIndex(
                RepositoryIndexRequest.getDefaultInstance())));
    }

    @Test
    void typedAndRawOutputsHoldTheSameNumbers() {
        float[] typed = probabilities(stub.modelInfer(bytesTyped(PNG)));
        float[] raw = probabilities(stub.modelInfer(request("BYTES", 1).addRawInputContents(lengthPrefixed(PNG))
                .build()));
        assertArrayEquals(typed, raw);
    }
}
