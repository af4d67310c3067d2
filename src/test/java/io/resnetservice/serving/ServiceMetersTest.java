package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.runtime.LoadedModel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import java.util.Map;
import org.springframework.boot.availability.ApplicationAvailabilityBean;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The service's own meters and the live-NDArray gauge, on a registry of their own. */
class ServiceMetersTest {

    @Test
    void metersCarryTheirNamesTagsUnitsAndHistograms() {
        ResnetProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "resnet.model-dir", StartupChoicesTest.ONE.getParent().toString(), "resnet.device", "cpu")))
                .bindOrCreate("resnet", ResnetProperties.class);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ModelExecutors executors = new ModelExecutors(properties, registry, StageSpans.OFF, new ServiceLoad());
        ModelRegistry models = new ModelRegistry(properties, executors);
        try {
            InferenceMetrics metrics = new InferenceMetrics(registry, models);
            LoadedModel model = models.all().iterator().next();
            assertEquals(model.loadSeconds(), registry.get("model.load.seconds").tag("model", model.name()).gauge().value());
            assertEquals("seconds", registry.get("model.load.seconds").gauge().getId().getBaseUnit());

            Timer ok = metrics.requests("m", "ok");
            ok.record(Duration.ofMillis(30));
            assertSame(ok, metrics.requests("m", "ok"), "one timer per model and outcome");
            Timer timer = registry.get("inference.requests").tags("model", "m", "outcome", "ok").timer();
            assertEquals(1, timer.count());
            long buckets = registry.scrape().lines()
                    .filter(l -> l.startsWith("inference_requests_seconds_bucket{") && l.contains("model=\"m\"")).count();
            assertTrue(buckets > 10, "a percentile histogram is published: " + buckets + " buckets");
            metrics.preprocess("m").record(Duration.ofMillis(5));
            assertEquals(1, registry.get("inference.preprocess").tag("model", "m").timer().count());
            metrics.images("m").increment(3);
            assertEquals(3, registry.get("inference.images").tag("model", "m").counter().count());

            MemoryBudget budget = new MemoryBudget(1000, Duration.ofMillis(1));
            metrics.imageMemory(budget);
            try (MemoryBudget.Lease lease = budget.acquire(400)) {
                assertNotNull(lease);
                assertEquals(400, registry.get("image.memory.used").gauge().value());
            }
            assertEquals(0, registry.get("image.memory.used").gauge().value());
            assertEquals(1000, registry.get("image.memory.budget").gauge().value());
            assertEquals("bytes", registry.get("image.memory.budget").gauge().getId().getBaseUnit());

            NativeMemory memory = new NativeMemory(models, registry);
            int before = memory.liveNDArrays();
            assertTrue(before > 50, "the weights are live NDArrays: " + before);
            try (NDManager manager = model.rootManager().newSubManager()) {
                NDArray a = manager.zeros(new ai.djl.ndarray.types.Shape(2));
                assertEquals(before + 1, memory.liveNDArrays(), "an array under the model's manager counts");
                assertEquals(before + 1, registry.get("djl.ndarrays.live").gauge().value());
                a.close();
            }
            assertEquals(before, memory.liveNDArrays());
            try (NDManager outside = NDManager.newBaseManager()) {
                outside.zeros(new ai.djl.ndarray.types.Shape(2));
                assertEquals(before + 1, memory.liveNDArrays(), "every manager of the engine counts, not only the model's");
            }
            assertEquals(before, memory.liveNDArrays());

            ApplicationAvailabilityBean availability = new ApplicationAvailabilityBean();
            new ProcessGauges(registry, availability);
            assertTrue(registry.get("process.memory.resident").gauge().value() > 10e6, "this JVM's resident memory");
            assertEquals("bytes", registry.get("process.memory.limit").gauge().getId().getBaseUnit());
            availability.onApplicationEvent(new AvailabilityChangeEvent<>(this, ReadinessState.ACCEPTING_TRAFFIC));
            assertEquals(1, registry.get("service.ready").gauge().value());
            availability.onApplicationEvent(new AvailabilityChangeEvent<>(this, ReadinessState.REFUSING_TRAFFIC));
            assertEquals(0, registry.get("service.ready").gauge().value());

            float[] input = new float[784];
            BatchingExecutor executor = executors.of(model);
            assertArrayEquals(model.forward(input, 1)[0], executor.submit(input, 1).probabilities()[0], 1e-5f);
            assertEquals(1, registry.get("inference.forward").tags("model", model.name(), "version", "1").timer().count(),
                    "a version's meters carry its version");
            executors.destroy();
            assertEquals("the service is shutting down", assertThrows(BatchingExecutor.OverloadedException.class,
                    () -> executor.submit(input, 1)).getMessage());
        } finally {
            models.destroy();
        }
    }
}
