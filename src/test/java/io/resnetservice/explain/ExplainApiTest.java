package io.resnetservice.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.serving.NativeMemory;
import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import io.resnetservice.training.FashionMnist;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** POST /api/v1/explain: the contract, its parameters and refusals, the PNG overlay, and native memory. */
class ExplainApiTest extends RandomModelServiceTest {

    static final byte[] SQUARE = TestImages.png(TestImages.grey(28, 28, 1));
    static final byte[] WIDE = TestImages.png(TestImages.rgb(40, 20, 2));

    @Autowired
    NativeMemory nativeMemory;

    static Multipart images(byte[]... files) {
        Multipart m = new Multipart();
        for (int i = 0; i < files.length; i++) {
            m.file("image", "i" + i + ".png", "image/png", files[i]);
        }
        return m;
    }

    @Test
    void eachImageGetsItsTopClassAndAHeatmapOverTheWholePicture() {
        Http.Response classified = http.post("/api/v1/classify?topK=1", images(SQUARE, WIDE));
        Http.Response r = http.post("/api/v1/explain", images(SQUARE, WIDE));
        assertEquals(200, r.status(), r.body());
        JsonNode json = r.json();
        assertEquals(TestModels.NAME, json.get("model").asString());
        assertEquals("occlusion", json.get("method").asString());
        assertEquals(2, json.get("results").size());
        int[][] grids = {{8, 8}, {4, 8}};
        for (int i = 0; i < 2; i++) {
            JsonNode result = json.get("results").get(i);
            JsonNode top = classified.json().at("/results/" + i + "/predictions/0");
            assertEquals(top.get("index").asInt(), result.at("/class/index").asInt(), "the top class by default");
            assertEquals(top.get("label").asString(), result.at("/class/label").asString());
            assertEquals(top.get("probability").asDouble(), result.at("/class/probability").asDouble(), 1e-3);
            JsonNode heatmap = result.get("heatmap");
            assertEquals(grids[i][0], heatmap.get("rows").asInt(), "rows of " + result);
            assertEquals(grids[i][1], heatmap.get("cols").asInt(), "8 cells along the longer side");
            assertEquals(grids[i][0] * grids[i][1], heatmap.get("values").size());
            double max = 0;
            for (JsonNode v : heatmap.get("values")) {
                assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, "in [0, 1]: " + v);
                max = Math.max(max, v.asDouble());
            }
            assertTrue(max == 0 || Math.abs(max - 1) < 1e-6, "scaled so that the largest is 1: " + max);
        }
        assertEquals(28, json.at("/results/0/width").asInt());
        assertEquals("i1.png", json.at("/results/1/name").asString());
    }

    @Test
    void theClassByIndexOrLabelAndTheGrid() {
        String label = FashionMnist.LABELS.get(3);
        JsonNode byIndex = http.post("/api/v1/explain?class=3&grid=4", images(SQUARE)).json();
        JsonNode byLabel = http.post("/api/v1/models/" + TestModels.NAME + "/explain?class="
                + label.toLowerCase(java.util.Locale.ROOT), images(SQUARE)).json();
        assertEquals(3, byIndex.at("/results/0/class/index").asInt());
        assertEquals(label, byIndex.at("/results/0/class/label").asString());
        assertEquals(3, byLabel.at("/results/0/class/index").asInt());
        assertEquals(4, byIndex.at("/results/0/heatmap/cols").asInt());
    }

    @Test
    void badParametersAndBadUploadsAreProblems() {
        assertProblem(http.post("/api/v1/explain?class=10", images(SQUARE)), 400, "/problems/invalid-parameter");
        assertProblem(http.post("/api/v1/explain?class=Sneakers", images(SQUARE)), 400, "/problems/invalid-parameter");
        assertProblem(http.post("/api/v1/explain?grid=0", images(SQUARE)), 400, "/problems/invalid-parameter");
        assertProblem(http.post("/api/v1/explain?grid=17", images(SQUARE)), 400, "/problems/invalid-parameter");
        assertProblem(http.post("/api/v1/explain?format=gif", images(SQUARE)), 400, "/problems/invalid-parameter");
        assertProblem(http.post("/api/v1/explain?format=png", images(SQUARE, WIDE)), 400, "/problems/invalid-parameter");
        assertProblem(http.post("/api/v1/explain", images(SQUARE, SQUARE, SQUARE, SQUARE, SQUARE)), 413,
                "/problems/too-many-images");
        assertProblem(http.post("/api/v1/explain", "image/png", "not a png".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                400, "/problems/unsupported-image");
        assertProblem(http.post("/api/v1/explain", new Multipart().field("other", "x")), 400, "/problems/no-image");
        assertProblem(http.post("/api/v1/models/nope/explain", images(SQUARE)), 404, "/problems/unknown-model");
    }

    @Test
    void formatPngIsTheUploadWithItsHeatmapDrawnOver() throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/api/v1/explain?format=png"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(WIDE)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("image/png", r.headers().firstValue("Content-Type").orElse(""));
        BufferedImage overlay = ImageIO.read(new ByteArrayInputStream(r.body()));
        BufferedImage original = ImageIO.read(new ByteArrayInputStream(WIDE));
        assertEquals(original.getWidth(), overlay.getWidth());
        assertEquals(original.getHeight(), overlay.getHeight());
    }

    @Test
    void explanationsReleaseTheirNativeArrays() throws IOException {
        http.post("/api/v1/explain", images(SQUARE));
        int baseline = nativeMemory.liveNDArrays();
        for (int i = 0; i < 5; i++) {
            assertEquals(200, http.post("/api/v1/explain", images(SQUARE, WIDE)).status());
        }
        assertEquals(baseline, nativeMemory.liveNDArrays(), "live NDArrays after explanations");
    }

    @Test
    void swaggerUiDocumentsTheEndpointWithAnUploadForm() {
        JsonNode doc = http.get("/v3/api-docs").json();
        for (String path : java.util.List.of("/paths/~1api~1v1~1explain/post", "/paths/~1api~1v1~1models~1{name}~1explain/post")) {
            JsonNode op = doc.at(path);
            assertTrue(op.at("/requestBody/content/multipart~1form-data").isObject(), path + ": " + op);
            assertTrue(op.at("/responses/200/content/application~1json/schema/$ref").asString().endsWith("/ExplainResponse"),
                    path + ": " + op.at("/responses/200"));
            assertTrue(op.at("/responses/200/content/image~1png").isObject(), path);
            assertTrue(op.at("/responses/400/content/application~1problem+json").isObject(), path);
        }
    }

    static void assertProblem(Http.Response r, int status, String type) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        assertEquals(type, r.json().get("type").asString(), r.body());
    }
}
