package io.resnetservice.web.v2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.RawTensors;
import io.resnetservice.serving.ServedVersion;
import io.resnetservice.support.Http;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.RestV1;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * Triton's binary tensor data extension on REST v2, as tritonclient's HTTP client sends it: a JSON header
 * of Inference-Header-Content-Length bytes, then raw little-endian tensors; binary outputs on request.
 */
class BinaryTensorsTest extends RandomModelServiceTest {

    static final String INFER = "/v2/models/" + TestModels.NAME + "/infer";
    static final byte[] PNG = TestImages.png(TestImages.grey(40, 36, 3));
    static final byte[] JPEG = TestImages.jpeg(TestImages.rgb(90, 70, 5), 0.9f);
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Autowired
    ModelRegistry models;
    @Autowired
    ClassificationService classifier;

    record Reply(int status, String contentType, Integer headerLength, byte[] body) {
        JsonNode json() {
            return Http.JSON.readTree(headerLength == null ? body : Arrays.copyOf(body, headerLength));
        }

        ByteBuffer binary() {
            return ByteBuffer.wrap(body, headerLength, body.length - headerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** A POST as tritonclient makes it: no content type, the header's length in Inference-Header-Content-Length. */
    Reply post(String json, byte[] binary, String headerLength) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        byte[] body = Arrays.copyOf(header, header.length + binary.length);
        System.arraycopy(binary, 0, body, header.length, binary.length);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + INFER))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headerLength != null) {
            request.header(BinaryTensors.HEADER, headerLength);
        }
        return send(request);
    }

    static Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> r = CLIENT.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
                    r.headers().firstValue(BinaryTensors.HEADER).map(Integer::valueOf).orElse(null), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A plain JSON request, with its content type and without the header. */
    Reply json(String json) {
        return send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + INFER)).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)));
    }

    Reply post(String json, byte[] binary) {
        return post(json, binary, Integer.toString(json.getBytes(StandardCharsets.UTF_8).length));
    }

    static String input(String datatype, String shape, long binarySize) {
        return "{\"name\": \"" + (datatype.equals("FP32") ? "input" : "image") + "\", \"datatype\": \"" + datatype
                + "\", \"shape\": " + shape + ", \"parameters\": {\"binary_data_size\": " + binarySize + "}}";
    }

    static float[] jsonFloats(JsonNode data) {
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.get(i).asDouble();
        }
        return out;
    }

    static byte[] lengthPrefixed(byte[]... elements) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(elements).mapToInt(e -> 4 + e.length).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] e : elements) {
            b.putInt(e.length).put(e);
        }
        return b.array();
    }

    float[] tensor(byte[]... images) {
        try (ServedVersion.Lease lease = models.acquire(TestModels.NAME).orElseThrow()) {
            return classifier.prepare(lease.model(), List.of(images)).tensor();
        }
    }

    @Test
    void binaryFp32InGivesRestV1sProbabilitiesAsJson() {
        float[][] rest = RestV1.probabilities(http, PNG, JPEG);
        byte[] raw = RawTensors.floats(tensor(PNG, JPEG));
        Reply r = post("{\"id\": \"b-1\", \"inputs\": [" + input("FP32", "[2, 1, 28, 28]", raw.length) + "]}", raw);
        assertEquals(200, r.status(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(null, r.headerLength(), "no binary output was asked for");
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        JsonNode json = r.json();
        assertEquals("b-1", json.get("id").asString());
        assertEquals("1", json.get("model_version").asString());
        RestV1.assertSameProbabilities(rest, jsonFloats(json.at("/outputs/0/data")));
    }

    @Test
    void binaryBytesInAndEveryOutputBinaryOut() {
        float[][] rest = RestV1.probabilities(http, PNG, JPEG);
        byte[] raw = lengthPrefixed(PNG, JPEG);
        Reply r = post("{\"inputs\": [" + input("BYTES", "[2]", raw.length) + "],"
                + " \"parameters\": {\"binary_data_output\": true}}", raw);
        assertEquals(200, r.status(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("application/octet-stream", r.contentType());
        JsonNode outputs = r.json().get("outputs");
        ByteBuffer binary = r.binary();
        long declared = 0;
        for (JsonNode output : outputs) {
            assertFalse(output.has("data"), "binary outputs carry no JSON data: " + output);
            declared += output.at("/parameters/binary_data_size").asLong();
        }
        assertEquals(binary.remaining(), declared, "the binary sizes add up to the bytes after the header");
        assertEquals("probabilities", outputs.get(0).get("name").asString());
        assertEquals("[2,10]", outputs.get(0).get("shape").toString());
        float[] probabilities = new float[20];
        binary.asFloatBuffer().get(probabilities);
        RestV1.assertSameProbabilities(rest, probabilities);
    }

    @Test
    void aJsonRequestCanAskForOneBinaryOutputWithTheClassificationExtension() {
        String image = java.util.Base64.getEncoder().encodeToString(JPEG);
        String request = "{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\""
                + image + "\"]}], \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {\"classification\": 3%s}}]}";
        Http.Response plain = http.post(INFER, "application/json",
                String.format(java.util.Locale.ROOT, request, "").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, plain.status(), plain.body());
        List<String> expected = new ArrayList<>();
        plain.json().at("/outputs/0/data").forEach(v -> expected.add(v.asString()));
        assertEquals(3, expected.size());

        Reply binary = json(String.format(java.util.Locale.ROOT, request, ", \"binary_data\": true"));
        assertEquals(200, binary.status(), new String(binary.body(), StandardCharsets.UTF_8));
        assertEquals(1, binary.json().get("outputs").size(), "only the output asked for");
        assertEquals("BYTES", binary.json().at("/outputs/0/datatype").asString());
        ByteBuffer b = binary.binary();
        List<String> classes = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] element = new byte[b.getInt()];
            b.get(element);
            classes.add(new String(element, StandardCharsets.UTF_8));
        }
        assertEquals(expected, classes);
    }

    @Test
    void theServerListsTheExtension() {
        assertTrue(http.get("/v2").json().get("extensions").toString().contains("binary_tensor_data"));
    }

    /** The binary door is documented in docs/, not in the OpenAPI contract, which stays the JSON one. */
    @Test
    void theOpenApiContractIsUnchanged() {
        JsonNode doc = http.get("/v3/api-docs").json();
        for (String path : List.of("/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer")) {
            JsonNode post = doc.get("paths").get(path).get("post");
            assertTrue(List.of("application/json").containsAll(List.copyOf(post.at("/requestBody/content").propertyNames())),
                    path + ": " + post);
            assertEquals(List.of("application/json"), List.copyOf(post.at("/responses/200/content").propertyNames()), path);
            assertEquals("object", post.at("/responses/200/content/application~1json/schema/additionalProperties/type")
                    .asString(), path);
            assertFalse(post.toString().contains(BinaryTensors.HEADER), path);
        }
    }

    @Test
    void malformedLengthsAreBadRequests() {
        byte[] floats = RawTensors.floats(new float[784]);
        String fp32 = "{\"inputs\": [" + input("FP32", "[1, 1, 28, 28]", floats.length) + "]}";
        int length = fp32.getBytes(StandardCharsets.UTF_8).length;
        assertBad(post(fp32, floats, "many"), "header length not a number");
        assertBad(post(fp32, floats, "-1"), "negative header length");
        assertBad(post(fp32, floats, Integer.toString(length + floats.length + 1)), "header length past the end");
        assertBad(post(fp32, floats, Integer.toString(length - 1)), "header length inside the JSON");
        assertBad(post(fp32, Arrays.copyOf(floats, floats.length - 4)), "fewer bytes than binary_data_size");
        assertBad(post(fp32, Arrays.copyOf(floats, floats.length + 4)), "more bytes than binary_data_size");
        String wrongSize = "{\"inputs\": [" + input("FP32", "[1, 1, 28, 28]", floats.length - 4) + "]}";
        assertBad(post(wrongSize, Arrays.copyOf(floats, floats.length - 4)), "binary_data_size short of the shape");
        assertBad(post("{\"inputs\": [" + input("FP32", "[1, 1, 28, 28]", -4) + "]}", new byte[0]),
                "negative binary_data_size");
        float[] nan = new float[784];
        nan[3] = Float.NaN;
        assertBad(post(fp32, RawTensors.floats(nan)), "a NaN (big-endian floats)");
        Reply noHeader = post(fp32, floats, null);
        assertEquals(415, noHeader.status(), "neither JSON nor the header: " + new String(noHeader.body(),
                StandardCharsets.UTF_8));
        assertBad(json(fp32), "binary_data_size without the header");

        byte[] images = lengthPrefixed(PNG);
        byte[] truncated = Arrays.copyOf(images, images.length - 1);
        assertBad(post("{\"inputs\": [" + input("BYTES", "[1]", truncated.length) + "]}", truncated),
                "an element's length past the end");
        assertBad(post("{\"inputs\": [" + input("BYTES", "[2]", images.length) + "]}", images),
                "shape and elements disagree");
        assertBad(post("{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\""
                + java.util.Base64.getEncoder().encodeToString(PNG) + "\"]}]}", images), "bytes no input declares");
        assertBad(post("{\"inputs\": [" + input("BYTES", "[1]", images.length)
                + "], \"parameters\": {\"binary_data_output\": \"yes\"}}", images), "binary_data_output not a boolean");

        Reply tooMany = post("{\"inputs\": [" + input("BYTES", "[5]", 5 * images.length) + "]}",
                lengthPrefixed(PNG, PNG, PNG, PNG, PNG));
        assertEquals(413, tooMany.status(), "more images than the limit");
        assertEquals(200, post("{\"inputs\": [" + input("BYTES", "[1]", images.length) + "]}", images).status(),
                "and a good one still works");
    }

    static void assertBad(Reply r, String what) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertEquals(400, r.status(), what + ": " + body);
        JsonNode json = Http.JSON.readTree(body);
        assertTrue(json.get("error").isString() && !json.get("error").asString().isBlank(), what + ": " + body);
    }
}
