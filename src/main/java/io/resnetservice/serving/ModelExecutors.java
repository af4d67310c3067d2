package io.resnetservice.serving;

import io.micrometer.core.instrument.MeterRegistry;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.runtime.LoadedModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * One {@link BatchingExecutor} per loaded model. Closed after the web server's graceful shutdown, so
 * requests already queued are computed before the models are released.
 */
@Component
public class ModelExecutors implements DisposableBean {

    private final Map<String, BatchingExecutor> executors = new LinkedHashMap<>();

    public ModelExecutors(ModelRegistry models, ResnetProperties properties, MeterRegistry registry,
            StageSpans spans, ServiceLoad load) {
        ResnetProperties.Threads threads = properties.threads();
        for (LoadedModel model : models.all()) {
            executors.put(model.name(), new BatchingExecutor(model,
                    properties.batching().resolved(threads.intraOpThreads()), registry,
                    threads.intraOpAloneThreads(), threads.intraOpThreads(), load, spans));
        }
    }

    public BatchingExecutor of(LoadedModel model) {
        return executors.get(model.name());
    }

    @Override
    public void destroy() {
        executors.values().forEach(BatchingExecutor::close);
    }
}
