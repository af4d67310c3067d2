package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.Multipart;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;

/** Walks src/test/resources/bad-inputs/cases.json: each case gets its status and problem type, never a 5xx. */
class BadInputCorpusTest extends RandomModelServiceTest {

    static int ran;

    static byte[] resource(String path) {
        try (InputStream in = BadInputCorpusTest.class.getResourceAsStream("/bad-inputs/" + path)) {
            if (in == null) {
                throw new IllegalStateException("no fixture " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] body(JsonNode spec) {
        if (spec.has("path")) {
            return resource(spec.get("path").asString());
        }
        if (spec.has("text")) {
            return spec.get("text").asString().getBytes(StandardCharsets.UTF_8);
        }
        if (spec.has("random")) {
            byte[] b = new byte[spec.get("random").asInt()];
            new Random(b.length).nextBytes(b);
            return b;
        }
        if (spec.has("pngDeclaring")) {
            return TestImages.pngDeclaring(spec.get("pngDeclaring").get(0).asInt(), spec.get("pngDeclaring").get(1).asInt());
        }
        return new byte[0];
    }

    Http.Response send(JsonNode c) {
        String model = c.path("model").asString(TestModels.NAME);
        String query = c.has("query") ? "?" + c.get("query").asString() : "";
        return switch (c.get("mode").asString()) {
            case "raw" -> http.post("/api/v1/models/" + model + "/classify" + query, c.get("contentType").asString(), body(c));
            case "multipart" -> {
                Multipart m = new Multipart();
                int i = 0;
                for (JsonNode part : c.get("parts")) {
                    m.file(part.get("field").asString(), "part-" + i++, "application/octet-stream", body(part));
                }
                yield http.post("/api/v1/models/" + model + "/classify" + query, m);
            }
            case "v2" -> http.post("/v2/models/" + model + "/infer", "application/json", body(c));
            default -> throw new IllegalArgumentException(c.toString());
        };
    }

    @TestFactory
    Stream<DynamicTest> everyCaseGetsItsAnswer() {
        JsonNode cases = Http.JSON.readTree(resource("cases.json")).get("cases");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asString(), () -> {
                Http.Response r = send(c);
                int status = c.get("status").asInt();
                assertEquals(status, r.status(), c.get("name").asString() + ": " + r.body());
                if (status == 200) {
                    assertEquals(5, r.json().at("/results/0/predictions").size());
                } else if (c.get("mode").asString().equals("v2")) {
                    assertTrue(r.json().get("error").isString(), r.body());
                } else {
                    assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
                    assertEquals(c.get("type").asString(), r.json().get("type").asString(), r.body());
                    assertFalse(r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains(".java:")
                            || r.body().contains(MODELS.toString()),
                            "no stack traces, class names or paths: " + r.body());
                }
                ran++;
            }));
        }
        tests.add(DynamicTest.dynamicTest("afterwards a good request is answered correctly", () -> {
            byte[] png = TestImages.png(TestImages.grey(28, 28, 99));
            Http.Response r = http.post("/api/v1/classify?topK=10", "image/png", png);
            assertEquals(200, r.status(), r.body());
            double sum = 0;
            for (JsonNode p : r.json().at("/results/0/predictions")) {
                sum += p.get("probability").asDouble();
            }
            assertEquals(1.0, sum, 1e-5);
            assertTrue(ran >= 30, "the corpus ran: " + ran);
        }));
        return tests.stream();
    }

    @AfterAll
    static void report() {
        System.out.println("bad-input corpus: " + ran + " cases");
    }
}
