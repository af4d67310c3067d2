package io.resnetservice.serving;

import io.micrometer.core.instrument.MeterRegistry;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.runtime.LoadedModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * One {@link BatchingExecutor} per served model version. A version's executor closes with it (after its
 * last request); whatever is left closes after the web server's graceful shutdown, so requests already
 * queued are computed before the models are released.
 */
@Component
public class ModelExecutors implements DisposableBean {

    private final Map<LoadedModel, BatchingExecutor> executors = Collections.synchronizedMap(new IdentityHashMap<>());
    private final ResnetProperties properties;
    private final MeterRegistry registry;
    private final StageSpans spans;
    private final ServiceLoad load;

    public ModelExecutors(ResnetProperties properties, MeterRegistry registry, StageSpans spans, ServiceLoad load) {
        this.properties = properties;
        this.registry = registry;
        this.spans = spans;
        this.load = load;
    }

    /** A new queue and workers for {@code model}, whose meters are tagged with its {@code version}. */
    BatchingExecutor start(LoadedModel model, String version) {
        ResnetProperties.Threads threads = properties.threads();
        BatchingExecutor executor = new BatchingExecutor(model, version,
                properties.batching().resolved(threads.intraOpThreads()), registry,
                threads.intraOpAloneThreads(), threads.intraOpThreads(), load, spans);
        executors.put(model, executor);
        return executor;
    }

    public BatchingExecutor of(LoadedModel model) {
        BatchingExecutor executor = executors.get(model);
        if (executor == null) {
            throw new IllegalStateException("model " + model.name() + " is not served");
        }
        return executor;
    }

    /** Forgets {@code model}'s executor once it is closed. */
    void forget(LoadedModel model) {
        executors.remove(model);
    }

    @Override
    public void destroy() {
        List<BatchingExecutor> left;
        synchronized (executors) {
            left = new ArrayList<>(executors.values());
            executors.clear();
        }
        left.forEach(BatchingExecutor::close);
    }
}
