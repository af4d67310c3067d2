package io.resnetservice.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.TempDirs;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** The model repository over HTTP: admin keys only, folder names only, load/unload and what answers meanwhile. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepositoryApiTest {

    static final String ADMIN = "admin-key-for-tests";
    static final String USER = "inference-key-for-tests";
    static final Path MODELS = models();

    static Path models() {
        try {
            Path dir = TempDirs.create("repository-api");
            TestModels.writeRandomFashion(dir.resolve("fashion").resolve("1"), "fashion");
            TestModels.writeRandomFashion(dir.resolve("other"), "other");
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
    }

    @LocalServerPort
    int port;

    Http admin;
    Http user;
    Http anonymous;

    @BeforeEach
    void clients() {
        anonymous = new Http(port);
        admin = anonymous.with("X-API-Key", ADMIN);
        user = anonymous.with("Authorization", "Bearer " + USER);
    }

    static final byte[] EMPTY = new byte[0];

    private Http.Response classify(Http http, String path) {
        return http.post(path, "image/png", TestImages.png(TestImages.grey(28, 28, 3)));
    }

    private String state(String name, String version) {
        for (JsonNode entry : admin.post("/v2/repository/index", "application/json", EMPTY).json()) {
            if (entry.get("name").asString().equals(name) && entry.get("version").asString().equals(version)) {
                return entry.get("state").asString() + (entry.has("reason") ? " " + entry.get("reason").asString() : "");
            }
        }
        return "absent";
    }

    @Test
    @Order(1)
    void onlyAnAdminKeyOpensTheRepository() {
        for (String path : List.of("/v2/repository/index", "/v2/repository/models/fashion/load",
                "/v2/repository/models/fashion/unload")) {
            assertEquals(401, anonymous.post(path, "application/json", EMPTY).status(), path);
            assertEquals(401, anonymous.with("X-API-Key", "wrong").post(path, "application/json", EMPTY).status(), path);
            Http.Response forbidden = user.post(path, "application/json", EMPTY);
            assertEquals(403, forbidden.status(), path);
            assertTrue(forbidden.body().contains("admin key"), forbidden.body());
        }
        assertEquals(401, anonymous.with("X-API-Key", ADMIN).post("/api/v1/classify", "image/png",
                TestImages.png(TestImages.grey(28, 28, 1))).status(), "an admin key is not an inference key");
        Http.Response index = admin.post("/v2/repository/index", "application/json", EMPTY);
        assertEquals(200, index.status(), index.body());
        assertEquals("READY", state("fashion", "1"));
        assertEquals("READY", state("other", "1"));
        assertTrue(user.get("/v2").body().contains("model_repository"), "the server lists the extension");
    }

    @Test
    @Order(2)
    void pathsUrlsAndDotNamesAre400AndLoadNothing() throws IOException {
        Path outside = Files.createDirectories(MODELS.resolveSibling(MODELS.getFileName() + "-outside"));
        TestModels.writeRandomFashion(outside, "outside");
        Files.createSymbolicLink(MODELS.resolve("escape"), outside);
        try {
            for (String name : List.of("..", "%2E%2E", "..%2Fother", "fashion%2F1", "%2Fetc", "fashion%5C1",
                    "a%00b", "http:%2F%2Fexample.com%2Fm", ".hidden", "escape")) {
                Http.Response r = admin.post("/v2/repository/models/" + name + "/load", "application/json", EMPTY);
                assertEquals(400, r.status(), name + ": " + r.body());
            }
        } finally {
            Files.delete(MODELS.resolve("escape"));
        }
        assertEquals("absent", state("outside", "1"));
        assertEquals(404, user.get("/api/v1/models/outside").status());
        assertEquals(404, admin.post("/v2/repository/models/missing/load", "application/json", EMPTY).status());
    }

    @Test
    @Order(3)
    void anUnloadedModelIsAClearProblemAndReadinessFollowsTheDefaultModel() {
        assertEquals(200, classify(user, "/api/v1/classify").status());
        Http.Response unloaded = admin.post("/v2/repository/models/fashion/unload", "application/json", EMPTY);
        assertEquals(200, unloaded.status(), unloaded.body());
        assertEquals("UNAVAILABLE unloaded by request", state("fashion", "1"));

        Http.Response named = classify(user, "/api/v1/models/fashion/classify");
        assertEquals(404, named.status(), named.body());
        assertTrue(named.body().contains("unknown-model"), named.body());
        Http.Response byDefault = classify(user, "/api/v1/classify");
        assertEquals(503, byDefault.status(), byDefault.body());
        assertTrue(byDefault.body().contains("model-not-ready"), byDefault.body());
        assertEquals(404, user.post("/v2/models/fashion/infer", "application/json",
                "{\"inputs\": []}".getBytes(StandardCharsets.UTF_8)).status());
        assertEquals(503, anonymous.get("/actuator/health/readiness").status(), "the default model has no version");
        assertEquals(200, classify(user, "/api/v1/models/other/classify").status(), "the others keep answering");

        Http.Response loaded = admin.post("/v2/repository/models/fashion/load", "application/json", EMPTY);
        assertEquals(200, loaded.status(), loaded.body());
        assertEquals("READY", state("fashion", "1"));
        assertEquals(200, anonymous.get("/actuator/health/readiness").status());
        JsonNode answer = classify(user, "/api/v1/classify").json();
        assertEquals("fashion", answer.get("model").asString());
        assertEquals("1", answer.get("modelVersion").asString());
    }

    @Test
    @Order(4)
    void aNewVersionLoadsOnRequestAndEveryAnswerNamesItsVersion() throws IOException {
        TestModels.writeRandomFashion(MODELS.resolve("fashion").resolve("2"), "fashion");
        assertEquals("UNAVAILABLE not loaded", state("fashion", "2"), "found on disk, not loaded: polling is off");
        assertEquals("1", classify(user, "/api/v1/classify").json().get("modelVersion").asString());
        Http.Response loaded = admin.post("/v2/repository/models/fashion/load", "application/json", EMPTY);
        assertEquals(200, loaded.status(), loaded.body());
        assertEquals("READY", state("fashion", "2"));
        String one = state("fashion", "1");
        assertTrue(one.matches("(UNLOADING|UNAVAILABLE) not wanted by the version policy latest"), one);

        assertEquals("2", classify(user, "/api/v1/classify").json().get("modelVersion").asString());
        assertEquals("2", classify(user, "/api/v1/models/fashion/versions/2/classify").json().get("modelVersion")
                .asString());
        assertEquals(404, classify(user, "/api/v1/models/fashion/versions/1/classify").status(), "retired");
        assertEquals(404, classify(user, "/api/v1/models/fashion/versions/01/classify").status());
        float[] zeros = new float[784];
        String body = "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 1, 28, 28], \"data\": "
                + java.util.Arrays.toString(zeros) + "}]}";
        JsonNode v2 = Http.JSON.readTree(user.post("/v2/models/fashion/versions/2/infer", "application/json",
                body.getBytes(StandardCharsets.UTF_8)).body());
        assertEquals("2", v2.get("model_version").asString());
        assertEquals(404, user.post("/v2/models/fashion/versions/1/infer", "application/json",
                body.getBytes(StandardCharsets.UTF_8)).status());
        JsonNode metadata = user.get("/v2/models/fashion").json();
        assertEquals("[\"2\"]", metadata.get("versions").toString());

        JsonNode info = user.get("/api/v1/models/fashion").json();
        assertEquals("2", info.get("version").asString());
        assertEquals(2, info.get("versions").size(), info.toString());
        assertEquals("READY", info.get("versions").get(1).get("state").asString());
    }

    @Test
    @Order(5)
    void aBrokenVersionLeavesWhatServesAndSaysWhy() throws IOException {
        Path three = Files.createDirectories(MODELS.resolve("fashion").resolve("3"));
        TestModels.writeRandomFashion(three, "fashion");
        Path weights = three.resolve("fashion.params");
        byte[] all = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(all, all.length / 2)); // half-copied
        Http.Response r = admin.post("/v2/repository/models/fashion/load", "application/json", EMPTY);
        assertEquals(200, r.status(), "version 2 still serves: " + r.body());
        assertTrue(state("fashion", "3").startsWith("UNAVAILABLE failed to load: "), state("fashion", "3"));
        assertTrue(!state("fashion", "3").contains(MODELS.toString()), "no server path: " + state("fashion", "3"));
        assertEquals("2", classify(user, "/api/v1/classify").json().get("modelVersion").asString());
        assertTrue(user.get("/api/v1/models/fashion").body().contains("failed to load"));
        String metrics = anonymous.get("/actuator/prometheus").body();
        assertTrue(metrics.contains("model_repository_loads_total{") && metrics.contains("outcome=\"failure\""), "the failure is counted");
        assertTrue(metrics.contains("model_versions{"), "version states are exported");
    }
}
