package io.resnetservice.serving;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Spans for the stages of a request (decode, preprocess, queue wait, forward pass), children of the
 * request's server span. Nothing is started on a thread that is not inside a traced request, so work
 * outside requests (warm-up, tests calling the service directly) never exports orphan traces.
 */
@Component
public final class StageSpans {

    public static final StageSpans OFF = new StageSpans(Tracer.NOOP);

    private final Tracer tracer;

    public StageSpans(Tracer tracer) {
        this.tracer = tracer;
    }

    /** The application's tracer; none when tracing is switched off ({@code management.tracing.enabled=false}). */
    @Autowired
    public StageSpans(ObjectProvider<Tracer> tracer) {
        this(tracer.getIfAvailable(() -> Tracer.NOOP));
    }

    /** The span this thread is in, or null outside a traced request. */
    TraceContext current() {
        Span span = tracer.currentSpan();
        return span == null || span.isNoop() ? null : span.context();
    }

    /** Runs {@code work} in a child span of the current one (when there is one), ending it on every path. */
    <T> T inChild(String name, Supplier<T> work) {
        Span span = startChild(name);
        if (span == null) {
            return work.get();
        }
        try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
            return work.get();
        } catch (RuntimeException | Error e) {
            span.error(e);
            throw e;
        } finally {
            span.end();
        }
    }

    /** A started child of the current span, for work that ends on another thread; null outside a trace. */
    Span startChild(String name) {
        return current() == null ? null : tracer.nextSpan().name(name).start();
    }

    /**
     * The span of a forward pass shared by several requests: a child of the first request's span,
     * linked to the others', so every request's trace leads to the pass that computed it. Null when
     * none of them is traced.
     */
    Span startShared(String name, List<TraceContext> requests) {
        Span.Builder builder = null;
        for (TraceContext context : requests) {
            if (context == null) {
                continue;
            }
            if (builder == null) {
                builder = tracer.spanBuilder().setParent(context).name(name);
            } else {
                builder.addLink(new Link(context));
            }
        }
        return builder == null ? null : builder.start();
    }

    /** Puts {@code span} in scope on this thread (so meters recorded meanwhile carry it as exemplar). */
    Tracer.SpanInScope scope(Span span) {
        return span == null ? null : tracer.withSpan(span);
    }
}
