package io.resnetservice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import io.resnetservice.training.FashionMnist;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** The public HTTP contract, against the real service on a random port with a random-weight model. */
class ClassifyApiTest extends RandomModelServiceTest {

    static byte[] greyPng(long seed) {
        return TestImages.png(TestImages.grey(28, 28, seed));
    }

    @Test
    void multipartPngAndJpegAreClassifiedWithTheFullSoftmax() {
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(100, 60, 7), 0.9f);
        Http.Response r = http.post("/api/v1/classify?topK=10", new Multipart()
                .file("image", "a.png", "image/png", greyPng(1))
                .file("image", "b.jpg", "image/jpeg", jpeg));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/json"));
        JsonNode json = r.json();
        assertEquals(TestModels.NAME, json.get("model").asString());
        assertEquals(2, json.get("results").size());
        JsonNode png = json.get("results").get(0);
        assertEquals("a.png", png.get("name").asString());
        assertEquals(28, png.get("width").asInt());
        JsonNode jpg = json.get("results").get(1);
        assertEquals("b.jpg", jpg.get("name").asString());
        assertEquals(100, jpg.get("width").asInt());
        assertEquals(60, jpg.get("height").asInt());
        for (JsonNode result : json.get("results")) {
            JsonNode predictions = result.get("predictions");
            assertEquals(10, predictions.size());
            double sum = 0;
            double previous = 1;
            java.util.Set<Integer> indices = new java.util.HashSet<>();
            for (JsonNode p : predictions) {
                double probability = p.get("probability").asDouble();
                assertTrue(probability <= previous, "sorted by probability");
                previous = probability;
                sum += probability;
                int index = p.get("index").asInt();
                indices.add(index);
                assertEquals(FashionMnist.LABELS.get(index), p.get("label").asString());
            }
            assertEquals(10, indices.size());
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void topKIsHonouredAndDefaultsToFive() {
        assertEquals(5, http.post("/api/v1/classify", new Multipart().file("image", "a.png", "image/png", greyPng(2)))
                .json().get("results").get(0).get("predictions").size());
        assertEquals(3, http.post("/api/v1/classify?topK=3", new Multipart().file("image", "a.png", "image/png", greyPng(2)))
                .json().get("results").get(0).get("predictions").size());
    }

    @Test
    void rawBodyGivesTheSameAnswerAsMultipart() {
        byte[] png = greyPng(3);
        JsonNode raw = http.post("/api/v1/classify?topK=10", "image/png", png).json();
        JsonNode octet = http.post("/api/v1/classify?topK=10", "application/octet-stream", png).json();
        JsonNode multipart = http.post("/api/v1/classify?topK=10",
                new Multipart().file("image", "x.png", "image/png", png)).json();
        assertEquals(multipart.get("results").get(0).get("predictions"), raw.get("results").get(0).get("predictions"));
        assertEquals(multipart.get("results").get(0).get("predictions"), octet.get("results").get(0).get("predictions"));
        assertTrue(raw.get("results").get(0).get("name").isNull());
    }

    @Test
    void theNamedModelEndpointAnswersLikeTheDefault() {
        Http.Response r = http.post("/api/v1/models/" + TestModels.NAME + "/classify?topK=2", "image/png", greyPng(4));
        assertEquals(200, r.status(), r.body());
        assertEquals(2, r.json().get("results").get(0).get("predictions").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "11", "abc"})
    void aBadTopKIsA400Problem(String topK) {
        Http.Response r = http.post("/api/v1/classify?topK=" + topK, "image/png", greyPng(5));
        assertProblem(r, 400, "/problems/invalid-parameter");
    }

    @Test
    void noImagePartIsA400Problem() {
        assertProblem(http.post("/api/v1/classify", new Multipart().field("note", "hello")), 400, "/problems/no-image");
    }

    @Test
    void anEmptyBodyOrPartIsA400Problem() {
        assertProblem(http.post("/api/v1/classify", "image/png", new byte[0]), 400, "/problems/no-image");
        assertProblem(http.post("/api/v1/classify", new Multipart().file("image", "e.png", "image/png", new byte[0])),
                400, "/problems/empty-image");
    }

    @Test
    void randomBytesAreA400Problem() {
        byte[] noise = new byte[2000];
        new Random(1).nextBytes(noise);
        assertProblem(http.post("/api/v1/classify", "image/png", noise), 400, "/problems/unsupported-image");
    }

    @Test
    void aTruncatedPngIsA400Problem() {
        byte[] png = TestImages.png(TestImages.rgb(64, 64, 3));
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        assertProblem(http.post("/api/v1/classify", "image/png", truncated), 400, "/problems/undecodable-image");
    }

    @Test
    void anUnknownModelIsA404Problem() {
        assertProblem(http.post("/api/v1/models/nope/classify", "image/png", greyPng(6)), 404, "/problems/unknown-model");
        assertProblem(http.get("/api/v1/models/nope"), 404, "/problems/unknown-model");
    }

    @Test
    void anImageOverTheByteLimitIsA413Problem() {
        byte[] big = TestImages.png(TestImages.rgb(400, 400, 9));
        assertTrue(big.length > 300 * 1024, "fixture must exceed the 300KB limit: " + big.length);
        assertProblem(http.post("/api/v1/classify", "image/png", big), 413, "/problems/image-too-large");
        assertEquals(413, http.post("/api/v1/classify", new Multipart().file("image", "big.png", "image/png", big)).status());
    }

    @Test
    void aDecompressionBombIsRejectedFromItsHeader() {
        byte[] bomb = TestImages.pngDeclaring(100_000, 100_000);
        assertTrue(bomb.length < 100);
        Http.Response r = http.post("/api/v1/classify", "image/png", bomb);
        assertProblem(r, 413, "/problems/image-too-large");
        assertTrue(r.json().get("detail").asString().contains("100000x100000"));
    }

    @Test
    void moreImagesThanTheLimitIsA413Problem() {
        Multipart m = new Multipart();
        for (int i = 0; i < 5; i++) {
            m.file("image", i + ".png", "image/png", greyPng(i));
        }
        assertProblem(http.post("/api/v1/classify", m), 413, "/problems/too-many-images");
    }

    @Test
    void anUnsupportedMediaTypeIsA415Problem() {
        assertProblem(http.post("/api/v1/classify", "text/plain", "hello".getBytes(StandardCharsets.UTF_8)), 415,
                "/problems/unsupported-media-type");
    }

    @Test
    void modelsAreDescribed() throws Exception {
        JsonNode list = http.get("/api/v1/models").json();
        assertEquals(1, list.size());
        JsonNode model = http.get("/api/v1/models/" + TestModels.NAME).json();
        assertEquals(11_178_378L, model.get("parameters").asLong());
        assertEquals("textbook", model.get("variant").asString());
        assertEquals(18, model.get("depth").asInt());
        assertEquals("[1,28,28]", model.get("inputShape").toString());
        assertEquals(10, model.get("labels").size());
        assertEquals("cpu()", model.get("device").asString());
        assertTrue(model.get("isDefault").asBoolean());
        assertTrue(model.get("loadSeconds").asDouble() > 0);
        byte[] weights = Files.readAllBytes(MODELS.resolve(TestModels.NAME).resolve(TestModels.NAME + ".params"));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights)),
                model.get("weightsSha256").asString());
    }

    @Test
    void metricsArePublishedAfterRequests() {
        http.post("/api/v1/classify", "image/png", greyPng(8));
        http.post("/api/v1/classify?topK=0", "image/png", greyPng(8));
        String metrics = http.get("/actuator/prometheus").body();
        assertTrue(metrics.contains("inference_requests_seconds_bucket{"), "request histogram");
        assertTrue(metrics.matches("(?s).*inference_requests_seconds_count\\{[^}]*outcome=\"success\".*"));
        assertTrue(metrics.matches("(?s).*inference_requests_seconds_count\\{[^}]*outcome=\"client_error\".*"));
        assertTrue(metrics.contains("inference_preprocess_seconds_bucket{"));
        assertTrue(metrics.contains("inference_forward_seconds_bucket{"));
        assertTrue(metrics.contains("inference_images_total{"));
        assertTrue(metrics.contains("model_load_seconds{"));
    }

    @Test
    void actuatorExposesOnlyHealthInfoAndPrometheus() {
        assertEquals(200, http.get("/actuator/health/readiness").status());
        assertEquals("UP", http.get("/actuator/health/readiness").json().get("status").asString());
        assertEquals(200, http.get("/actuator/health/liveness").status());
        assertEquals(200, http.get("/actuator/info").status());
        assertEquals(404, http.get("/actuator/env").status());
        assertEquals(404, http.get("/actuator/beans").status());
    }

    @Test
    void theOpenApiDocumentDescribesTheContract() {
        JsonNode doc = http.get("/v3/api-docs").json();
        JsonNode classify = doc.at("/paths/~1api~1v1~1classify/post");
        assertFalse(classify.isMissingNode());
        String ref = classify.at("/requestBody/content/multipart~1form-data/schema/$ref").asString();
        JsonNode form = doc.at("/components/schemas/" + ref.substring(ref.lastIndexOf('/') + 1));
        JsonNode image = form.at("/properties/image");
        assertFalse(image.isMissingNode(), classify.toString());
        assertEquals("binary", image.at("/format").asString(), image.toString());
        assertFalse(classify.at("/requestBody/content/application~1octet-stream").isMissingNode(), classify.toString());
        for (String status : new String[] {"200", "400", "404", "413", "415"}) {
            assertFalse(classify.at("/responses/" + status).isMissingNode(), "response " + status);
        }
        assertFalse(classify.at("/responses/400/content/application~1problem+json").isMissingNode());
        assertFalse(doc.at("/paths/~1api~1v1~1models/get").isMissingNode());
        assertFalse(doc.at("/paths/~1api~1v1~1models~1{name}/get").isMissingNode());
        assertFalse(doc.at("/paths/~1api~1v1~1models~1{name}~1classify/post").isMissingNode());
        assertEquals(200, http.get("/swagger-ui/index.html").status());
    }

    static void assertProblem(Http.Response r, int status, String type) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType() + " " + r.body());
        JsonNode json = r.json();
        assertEquals(status, json.get("status").asInt());
        assertEquals(type, json.get("type").asString(), r.body());
        assertFalse(json.get("detail").asString().isBlank());
        assertFalse(r.body().contains("Exception"), "no class names: " + r.body());
        assertFalse(r.body().contains("\tat "), "no stack trace");
    }
}
