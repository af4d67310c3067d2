package io.resnetservice.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.Http;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** API keys on the inference endpoints only, actuator on its own port, and a request id on everything. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class ExposureTest {

    static final Path MODELS = TestModels.repositoryWithRandomFashionModel();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("resnet.model-dir", MODELS::toString);
        registry.add("resnet.security.api-keys", () -> "first-key,second-key");
        registry.add("management.server.port", () -> "0");
    }

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    HttpResponse<String> send(String path, String contentType, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", contentType);
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void inferenceNeedsAKeyButProbesNever() throws Exception {
        byte[] png = TestImages.png(TestImages.grey(28, 28, 1));
        HttpResponse<String> anonymous = send("/api/v1/classify", "image/png", png);
        assertEquals(401, anonymous.statusCode());
        assertTrue(anonymous.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
        assertEquals(401, send("/api/v1/classify", "image/png", png, "X-API-Key", "wrong").statusCode());
        assertEquals(401, send("/api/v1/models", null, null).statusCode());
        assertEquals(401, send("/v2/models/" + TestModels.NAME, null, null).statusCode());
        assertEquals(200, send("/api/v1/classify", "image/png", png, "X-API-Key", "first-key").statusCode());
        assertEquals(200, send("/api/v1/classify", "image/png", png, "Authorization", "Bearer second-key").statusCode());
        assertEquals(200, send("/v2/health/live", null, null).statusCode());
        assertEquals(200, send("/v2/health/ready", null, null).statusCode());
    }

    @Test
    void actuatorCanLiveOnItsOwnPort() {
        assertTrue(managementPort != port);
        Http management = new Http(managementPort);
        assertEquals("UP", management.get("/actuator/health/readiness").json().get("status").asString());
        assertTrue(management.get("/actuator/prometheus").body().contains("inference_"));
        assertEquals(404, new Http(port).get("/actuator/health").status());
    }

    @Test
    void everyResponseCarriesARequestIdThatTheLogsShow(CapturedOutput output) throws Exception {
        HttpResponse<String> given = send("/api/v1/classify", "image/png", "not a png".getBytes(StandardCharsets.UTF_8),
                "X-API-Key", "first-key", "X-Request-Id", "trace-7f3a");
        assertEquals(400, given.statusCode());
        assertEquals("trace-7f3a", given.headers().firstValue("X-Request-Id").orElseThrow());
        assertTrue(output.getOut().contains("[trace-7f3a "), "the log line of the rejection names the request (then its trace)");

        HttpResponse<String> made = send("/v2/health/live", null, null);
        assertTrue(made.headers().firstValue("X-Request-Id").orElseThrow().matches("[0-9a-f-]{36}"));
        HttpResponse<String> unsafe = send("/v2/health/live", null, null, "X-Request-Id", "bad id\twith tabs");
        assertTrue(unsafe.headers().firstValue("X-Request-Id").orElseThrow().matches("[0-9a-f-]{36}"),
                "an unsafe id is replaced, never echoed");
    }
}
