package io.resnetservice.web.v2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Request and response shapes of KServe's Open Inference Protocol, replayed against the real service. */
class V2ProtocolTest extends RandomModelServiceTest {

    static final String INFER = "/v2/models/" + TestModels.NAME + "/infer";

    static String floats(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.5f", r.nextGaussian()));
        }
        return b.append(']').toString();
    }

    Http.Response infer(String json) {
        return http.post(INFER, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    static void assertError(Http.Response r, int status) {
        assertEquals(status, r.status(), r.body());
        JsonNode json = r.json();
        java.util.Set<String> fields = new java.util.HashSet<>(json.propertyNames());
        assertTrue(java.util.Set.of("error", "traceId").containsAll(fields), r.body());
        assertTrue(json.get("error").isString() && !json.get("error").asString().isBlank(), r.body());
    }

    @Test
    void healthServerAndModelMetadata() {
        Http.Response live = http.get("/v2/health/live");
        assertEquals(200, live.status());
        assertTrue(live.json().get("live").asBoolean());
        assertEquals(200, http.get("/v2/health/ready").status());
        assertEquals(http.get("/actuator/health/readiness").status(), http.get("/v2/health/ready").status());

        JsonNode server = http.get("/v2").json();
        assertEquals("resnet-service", server.get("name").asString());
        assertTrue(server.get("extensions").toString().contains("classification"));

        JsonNode meta = http.get("/v2/models/" + TestModels.NAME).json();
        assertEquals(TestModels.NAME, meta.get("name").asString());
        assertEquals("input", meta.at("/inputs/0/name").asString());
        assertEquals("FP32", meta.at("/inputs/0/datatype").asString());
        assertEquals("[-1,1,28,28]", meta.at("/inputs/0/shape").toString());
        assertEquals("BYTES", meta.at("/inputs/1/datatype").asString());
        assertEquals("probabilities", meta.at("/outputs/0/name").asString());
        assertEquals("[-1,10]", meta.at("/outputs/0/shape").toString());
        assertEquals(meta, http.get("/v2/models/" + TestModels.NAME + "/versions/1").json());

        JsonNode ready = http.get("/v2/models/" + TestModels.NAME + "/ready").json();
        assertTrue(ready.get("ready").asBoolean());
    }

    @Test
    void fp32TensorInferenceReturnsProbabilitiesAndEchoesTheId() {
        String body = "{\"id\": \"req-42\", \"inputs\": [{\"name\": \"input\", \"shape\": [2, 1, 28, 28],"
                + " \"datatype\": \"FP32\", \"data\": " + floats(2 * 784, 1) + "}]}";
        Http.Response r = infer(body);
        assertEquals(200, r.status(), r.body());
        JsonNode json = r.json();
        assertEquals("req-42", json.get("id").asString());
        assertEquals(TestModels.NAME, json.get("model_name").asString());
        JsonNode out = json.at("/outputs/0");
        assertEquals("probabilities", out.get("name").asString());
        assertEquals("FP32", out.get("datatype").asString());
        assertEquals("[2,10]", out.get("shape").toString());
        assertEquals(20, out.get("data").size());
        double first = 0;
        for (int i = 0; i < 10; i++) {
            first += out.get("data").get(i).asDouble();
        }
        assertEquals(1.0, first, 1e-5);
        // The versioned path answers the same.
        assertEquals(out, http.post("/v2/models/" + TestModels.NAME + "/versions/1/infer", "application/json",
                body.getBytes(StandardCharsets.UTF_8)).json().at("/outputs/0"));
    }

    /** Every row of an FP32 batch is the v1 answer for the image that tensor was made from. */
    @Test
    void everyRowOfAnFp32BatchIsTheRestAnswerForItsImage() throws Exception {
        io.resnetservice.model.ModelFolder folder = io.resnetservice.model.ModelFolder.open(
                io.resnetservice.model.ModelFolder.ModelSource.directory(MODELS.resolve(TestModels.NAME)));
        io.resnetservice.preprocess.Preprocessor preprocessor = new io.resnetservice.preprocess.Preprocessor(
                folder.spec().input(), folder.spec().preprocess());
        io.resnetservice.image.ImageDecoder decoder = new io.resnetservice.image.ImageDecoder(4_000_000);
        int n = 3;
        StringBuilder data = new StringBuilder("[");
        Multipart rest = new Multipart();
        for (int i = 0; i < n; i++) {
            byte[] png = TestImages.png(TestImages.grey(28, 28, 20 + i));
            rest.file("image", "x" + i + ".png", "image/png", png);
            for (float v : preprocessor.apply(decoder.decode(png))) {
                data.append(data.length() > 1 ? "," : "").append(v);
            }
        }
        data.append(']');
        JsonNode out = infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [" + n + ", 1, 28, 28], \"datatype\": \"FP32\","
                + " \"data\": " + data + "}]}").json().at("/outputs/0/data");
        JsonNode results = http.post("/api/v1/classify?topK=10", rest).json().get("results");
        for (int i = 0; i < n; i++) {
            for (JsonNode p : results.get(i).get("predictions")) {
                assertEquals(p.get("probability").asDouble(), out.get(i * 10 + p.get("index").asInt()).asDouble(), 1e-5,
                        "row " + i + ", class " + p.get("index").asInt());
            }
        }
    }

    @Test
    void nestedDataIsAcceptedAsRowMajor() {
        StringBuilder nested = new StringBuilder("[[");
        String flat = floats(784, 3);
        String[] values = flat.substring(1, flat.length() - 1).split(",");
        for (int y = 0; y < 28; y++) {
            nested.append(y == 0 ? "[" : ",[");
            for (int x = 0; x < 28; x++) {
                nested.append(x == 0 ? "" : ",").append(values[y * 28 + x]);
            }
            nested.append(']');
        }
        nested.append("]]");
        String a = "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": " + flat + "}]}";
        String b = "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": [" + nested + "]}]}";
        assertEquals(infer(a).json().at("/outputs/0/data"), infer(b).json().at("/outputs/0/data"));
    }

    @Test
    void bytesInputOfEncodedImagesMatchesTheRestApi() {
        byte[] png = TestImages.png(TestImages.grey(28, 28, 5));
        String b64 = Base64.getEncoder().encodeToString(png);
        Http.Response r = infer("{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\""
                + b64 + "\"]}], \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {\"classification\": 3}}]}");
        assertEquals(200, r.status(), r.body());
        JsonNode out = r.json().at("/outputs/0");
        assertEquals("BYTES", out.get("datatype").asString());
        assertEquals("[1,3]", out.get("shape").toString());
        JsonNode rest = http.post("/api/v1/classify?topK=3", new Multipart().file("image", "x.png", "image/png", png))
                .json().at("/results/0/predictions");
        for (int i = 0; i < 3; i++) {
            String[] parts = out.get("data").get(i).asString().split(":", 3);
            assertEquals(rest.get(i).get("probability").asDouble(), Double.parseDouble(parts[0]), 1e-5);
            assertEquals(rest.get(i).get("index").asInt(), Integer.parseInt(parts[1]));
            assertEquals(rest.get(i).get("label").asString(), parts[2]);
        }
    }

    @Test
    void rawImageBytesInAStringAreAcceptedToo() {
        byte[] png = TestImages.png(TestImages.grey(28, 28, 6));
        String raw = new String(png, java.nio.charset.StandardCharsets.ISO_8859_1);
        String body = Http.JSON.writeValueAsString(java.util.Map.of("inputs", java.util.List.of(java.util.Map.of(
                "name", "image", "shape", java.util.List.of(1), "datatype", "BYTES", "data", java.util.List.of(raw)))));
        Http.Response r = infer(body);
        assertEquals(200, r.status(), r.body());
        String b64 = Base64.getEncoder().encodeToString(png);
        JsonNode viaBase64 = infer("{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\""
                + b64 + "\"]}]}").json();
        assertEquals(viaBase64.at("/outputs/0/data"), r.json().at("/outputs/0/data"));
    }

    @Test
    void everyErrorIsAJsonErrorWithItsStatus() {
        assertError(http.get("/v2/models/nope"), 404);
        assertError(http.get("/v2/models/nope/ready"), 404);
        assertError(http.get("/v2/models/" + TestModels.NAME + "/versions/7"), 404);
        assertError(http.post("/v2/models/nope/infer", "application/json", "{}".getBytes(StandardCharsets.UTF_8)), 404);
        assertError(infer("{not json"), 400);
        assertError(infer("[1, 2]"), 400);
        assertError(infer("{\"inputs\": []}"), 400);
        // wrong datatype
        assertError(infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"INT64\", \"data\": "
                + floats(784, 1) + "}]}"), 400);
        // wrong shape
        assertError(infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 3, 28, 28], \"datatype\": \"FP32\", \"data\": "
                + floats(3 * 784, 1) + "}]}"), 400);
        // wrong number of values for the shape, too few and too many
        assertError(infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [2, 1, 28, 28], \"datatype\": \"FP32\", \"data\": "
                + floats(784, 1) + "}]}"), 400);
        assertError(infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": "
                + floats(785, 1) + "}]}"), 400);
        // strings in an FP32 tensor, broken base64, a broken image, an unknown output
        assertError(infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": [\"a\"]}]}"), 400);
        assertError(infer("{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"***\"]}]}"), 400);
        assertError(infer("{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"aGVsbG8=\"]}]}"), 400);
        assertError(infer("{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 1, 28, 28], \"datatype\": \"FP32\", \"data\": "
                + floats(784, 1) + "}], \"outputs\": [{\"name\": \"logits\"}]}"), 400);
        assertError(infer("{\"inputs\": [{\"name\": \"image\", \"shape\": [5], \"datatype\": \"BYTES\", \"data\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}]}"), 413);
    }

    /** A body over max-request-bytes (1 MB here) is refused, declared or not, and never read whole. */
    @Test
    void aBodyOverTheRequestLimitIs413() throws Exception {
        byte[] big = new byte[1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        Http.Response declared = http.post(INFER, "application/json", big);
        assertError(declared, 413);
        assertTrue(declared.json().get("error").asString().startsWith("the request is over "), declared.body());
        // Chunked: no length to check first, so the read stops one byte past the limit.
        java.net.http.HttpResponse<String> chunked = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + INFER))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(big)))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(413, chunked.statusCode(), chunked.body());
    }
}
