package io.resnetservice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.resnetservice.support.RandomModelServiceTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** The default configuration: requests have trace ids, but no span leaves the process. */
class TracingOffTest extends RandomModelServiceTest {

    @Autowired
    ApplicationContext context;

    @Test
    void withoutAnEndpointNothingIsExported() {
        assertTrue(context.getBeansOfType(SpanExporter.class).isEmpty(),
                () -> "span exporters: " + context.getBeansOfType(SpanExporter.class));
    }

    @Test
    void problemsStillNameTheCallersTrace() {
        String trace = TracingTest.hex(16);
        var r = http.with("traceparent", "00-" + trace + "-" + TracingTest.hex(8) + "-01")
                .post("/api/v1/classify", "image/png", "not a png".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, r.status());
        assertEquals(trace, r.json().get("traceId").asString());
    }
}
