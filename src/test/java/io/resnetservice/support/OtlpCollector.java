package io.resnetservice.support;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.resnetservice.SuppressForbidden;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/** A tiny OTLP/HTTP trace collector: records every span it is sent, answers as a collector does. */
@SuppressForbidden(reason = "jdk.httpserver is a supported JDK module, in every JDK the build runs on")
public final class OtlpCollector implements AutoCloseable {

    /** One received span, ids as lower-case hex (empty parent: a root). */
    public record Received(String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind,
            List<String> linkedTraceIds, Span raw) {}

    private final HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private volatile int requests;

    private OtlpCollector(HttpServer server) {
        this.server = server;
        server.createContext("/v1/traces", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(
                        gzip ? new GZIPInputStream(body) : body);
                requests++;
                for (ResourceSpans resource : request.getResourceSpansList()) {
                    for (ScopeSpans scope : resource.getScopeSpansList()) {
                        for (Span span : scope.getSpansList()) {
                            spans.add(received(span));
                        }
                    }
                }
                byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
                exchange.getResponseBody().write(answer);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** A collector on a free port of localhost. */
    public static OtlpCollector start() {
        return start(0);
    }

    public static OtlpCollector start(int port) {
        try {
            return new OtlpCollector(HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Received received(Span span) {
        HexFormat hex = HexFormat.of();
        List<String> links = new ArrayList<>();
        span.getLinksList().forEach(l -> links.add(hex.formatHex(l.getTraceId().toByteArray())));
        return new Received(hex.formatHex(span.getTraceId().toByteArray()), hex.formatHex(span.getSpanId().toByteArray()),
                hex.formatHex(span.getParentSpanId().toByteArray()), span.getName(), span.getKind(), links, span);
    }

    /** The endpoint to configure as the OTLP traces endpoint. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
    }

    public List<Received> spans() {
        return List.copyOf(spans);
    }

    /** Export requests received so far (each may hold many spans). */
    public int requests() {
        return requests;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
