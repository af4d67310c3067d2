package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.resnetservice.support.SpanRecorder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stage spans on a real OpenTelemetry SDK: parents, links, errors, and nothing outside a traced request. */
class StageSpansTest {

    final SpanRecorder recorder = new SpanRecorder();
    final List<SpanData> exported = recorder.ended();
    final Tracer tracer = recorder.tracer();
    final StageSpans spans = new StageSpans(tracer);

    @AfterEach
    void close() {
        recorder.close();
    }

    SpanData named(String name) {
        return recorder.named(name);
    }

    @Test
    void outsideATracedRequestNothingIsStarted() {
        assertNull(spans.current());
        assertNull(spans.startChild("decode"));
        assertEquals("done", spans.inChild("decode", () -> "done"));
        assertNull(spans.startShared("forward", Arrays.asList(null, null)));
        assertNull(spans.scope(null));
        assertTrue(exported.isEmpty(), "no orphan spans: " + exported);
        assertNull(StageSpans.OFF.current());
    }

    @Test
    void aStageIsAChildOfTheRequestAndEndsOnEveryPath() {
        Span request = tracer.nextSpan().name("request").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(request)) {
            assertEquals(request.context().spanId(), spans.current().spanId());
            assertEquals(42, spans.inChild("decode", () -> {
                assertEquals("decode", exported.isEmpty() ? "decode" : "ended too early");
                return 42;
            }));
            RuntimeException failure = new IllegalStateException("bad pixels");
            assertSame(failure, assertThrows(IllegalStateException.class, () -> spans.inChild("preprocess", () -> {
                throw failure;
            })));
            Span wait = spans.startChild("queue");
            wait.end();
        } finally {
            request.end();
        }
        String trace = request.context().traceId();
        for (String stage : List.of("decode", "preprocess", "queue")) {
            SpanData span = named(stage);
            assertEquals(trace, span.getTraceId());
            assertEquals(request.context().spanId(), span.getParentSpanId(), stage + " is the request's child");
            assertTrue(span.hasEnded());
        }
        assertEquals(StatusCode.ERROR, named("preprocess").getStatus().getStatusCode());
        assertTrue(named("decode").getStatus().getStatusCode() != StatusCode.ERROR);
        assertEquals(4, exported.size());
    }

    @Test
    void aSharedPassIsTheFirstTracedRequestsChildAndLinksTheOthers() {
        List<Span> requests = new ArrayList<>();
        List<io.micrometer.tracing.TraceContext> contexts = new ArrayList<>();
        contexts.add(null);
        for (int i = 0; i < 3; i++) {
            Span request = tracer.nextSpan().name("request" + i).start();
            requests.add(request);
            contexts.add(request.context());
        }
        Span pass = spans.startShared("forward", contexts);
        try (Tracer.SpanInScope scope = spans.scope(pass)) {
            assertEquals(pass.context().spanId(), tracer.currentSpan().context().spanId(), "in scope on this thread");
        }
        pass.end();
        requests.forEach(Span::end);
        SpanData forward = named("forward");
        assertEquals(requests.get(0).context().traceId(), forward.getTraceId());
        assertEquals(requests.get(0).context().spanId(), forward.getParentSpanId());
        assertEquals(List.of(requests.get(1).context().spanId(), requests.get(2).context().spanId()),
                forward.getLinks().stream().map(l -> l.getSpanContext().getSpanId()).toList());
    }
}
