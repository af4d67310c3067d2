package io.resnetservice.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import tools.jackson.databind.JsonNode;

/** REST v1's answers as the reference the other doors (v2 JSON, binary tensors, gRPC) are held to. */
public final class RestV1 {

    private RestV1() {}

    /** REST v1's full softmax for each image, by class index (a 10-class model). */
    public static float[][] probabilities(Http http, byte[]... images) {
        Multipart body = new Multipart();
        for (int i = 0; i < images.length; i++) {
            body.file("image", "i" + i, "application/octet-stream", images[i]);
        }
        Http.Response r = http.post("/api/v1/classify?topK=10", body);
        assertEquals(200, r.status(), r.body());
        float[][] out = new float[images.length][10];
        JsonNode results = r.json().get("results");
        for (int i = 0; i < images.length; i++) {
            for (JsonNode p : results.get(i).get("predictions")) {
                out[i][p.get("index").asInt()] = (float) p.get("probability").asDouble();
            }
        }
        return out;
    }

    /** {@code actual}, flat [N, 10], holds REST v1's probabilities to 1e-6. */
    public static void assertSameProbabilities(float[][] expected, float[] actual) {
        assertEquals(expected.length * 10, actual.length);
        for (int i = 0; i < expected.length; i++) {
            for (int c = 0; c < 10; c++) {
                assertEquals(expected[i][c], actual[i * 10 + c], 1e-6, "image " + i + " class " + c);
            }
        }
    }
}
