package io.resnetservice.serving;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.runtime.LoadedModel;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * The service's own meters. Timers publish histogram buckets so Prometheus can compute p99 across
 * instances; names follow Micrometer's dot convention ({@code inference_requests_seconds_bucket} once
 * exported).
 */
@Component
public class InferenceMetrics {

    private final MeterRegistry registry;
    private final ModelRegistry models;

    public InferenceMetrics(MeterRegistry registry, ModelRegistry models) {
        this.registry = registry;
        this.models = models;
        for (LoadedModel model : models.all()) {
            modelServed(model.name());
        }
    }

    /** The load time of the highest served version of {@code name} (NaN while none serves); idempotent. */
    public void modelServed(String name) {
        Gauge.builder("model.load.seconds", models, m -> m.versions(name).isEmpty() ? Double.NaN
                        : m.versions(name).get(m.versions(name).size() - 1).model().loadSeconds())
                .description("Time to build, load and warm the model's highest served version")
                .baseUnit("seconds")
                .tag("model", name)
                .register(registry);
    }

    public Timer requests(String model, String outcome) {
        return timer("inference.requests", "Classification requests, from body read to answer", model)
                .tag("outcome", outcome).register(registry);
    }

    public Timer preprocess(String model) {
        return timer("inference.preprocess", "Decoding and preprocessing of one image", model).register(registry);
    }

    /** The image memory budget and how much of it decodes in flight hold. */
    void imageMemory(MemoryBudget budget) {
        budget("image.memory", budget, "Memory that images being decoded and preprocessed may hold at once",
                "Memory held by images being decoded and preprocessed, as estimated from their headers");
    }

    /** The budget of request bodies being received and how much of it they hold. */
    void uploadMemory(MemoryBudget budget) {
        budget("upload.memory", budget, "Memory that request bodies being received may hold at once",
                "Memory reserved by request bodies being received, from their declared lengths");
    }

    /** The pool of large arrays kept between requests: its idle bytes and how often it lent one again. */
    void bufferPool(ArrayPool pool) {
        Gauge.builder("buffer.pool.idle", pool, p -> p.stats().idleBytes())
                .description("Bytes of large arrays kept idle for the next request").baseUnit("bytes").register(registry);
        FunctionCounter.builder("buffer.pool.lent", pool, p -> p.stats().reused())
                .description("Large arrays lent again from the pool instead of allocated").register(registry);
        FunctionCounter.builder("buffer.pool.allocated", pool, p -> p.stats().allocated())
                .description("Large arrays the pool had to allocate").register(registry);
    }

    private void budget(String name, MemoryBudget budget, String capacity, String used) {
        Gauge.builder(name + ".budget", budget, MemoryBudget::capacity).description(capacity).baseUnit("bytes")
                .register(registry);
        Gauge.builder(name + ".used", budget, MemoryBudget::used).description(used).baseUnit("bytes")
                .register(registry);
    }

    public Counter images(String model) {
        return Counter.builder("inference.images")
                .description("Images classified")
                .tag("model", model)
                .register(registry);
    }

    private static Timer.Builder timer(String name, String description, String model) {
        return Timer.builder(name)
                .description(description)
                .tag("model", model)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30));
    }
}
