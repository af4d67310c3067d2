package io.resnetservice.web;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.MethodParameter;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * Every problem detail names the trace of the request it answers ({@code traceId}), so a client's
 * report leads to the trace and the log lines (which carry the same id) of what went wrong.
 */
@RestControllerAdvice
public class TraceIds implements ResponseBodyAdvice<Object> {

    public static final String MEMBER = "traceId";

    private final Tracer tracer;

    public TraceIds(ObjectProvider<Tracer> tracer) {
        this.tracer = tracer.getIfAvailable(() -> Tracer.NOOP);
    }

    /** The current request's trace id, or null outside a trace. */
    public String current() {
        Span span = tracer.currentSpan();
        return span == null || span.isNoop() ? null : span.context().traceId();
    }

    @Override
    public boolean supports(MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
        return true;
    }

    @Override
    public Object beforeBodyWrite(Object body, MethodParameter returnType, MediaType contentType,
            Class<? extends HttpMessageConverter<?>> converterType, ServerHttpRequest request,
            ServerHttpResponse response) {
        if (body instanceof ProblemDetail problem) {
            String id = current();
            if (id != null) {
                problem.setProperty(MEMBER, id);
            }
        }
        return body;
    }
}
