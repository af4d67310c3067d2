package io.resnetservice.serving;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * How many NDArrays DJL holds in native memory, across every manager. Weights are a fixed number;
 * anything a request leaves behind shows up as growth ({@code djl.ndarrays.live}).
 */
@Component
public class NativeMemory {

    private final NDManager root;

    public NativeMemory(ModelRegistry models, MeterRegistry registry) {
        NDManager manager = models.all().iterator().next().rootManager();
        while (manager.getParentManager() != null && manager.getParentManager() != manager) {
            manager = manager.getParentManager();
        }
        this.root = manager;
        Gauge.builder("djl.ndarrays.live", this, NativeMemory::liveNDArrays)
                .description("NDArrays alive in DJL's managers (weights included)")
                .register(registry);
    }

    public int liveNDArrays() {
        return root.getManagedArrays().size();
    }
}
