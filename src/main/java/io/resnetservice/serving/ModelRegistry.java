package io.resnetservice.serving;

import ai.djl.Device;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.runtime.LoadedModel;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Every model the service answers with, loaded and warmed once while the application starts, so the
 * service is not ready before it can classify. A model that cannot load stops startup.
 */
@Component
public class ModelRegistry implements DisposableBean {

    private final Map<String, LoadedModel> models = new LinkedHashMap<>();
    private final LoadedModel defaultModel;
    private final Device device;

    /** Loads the models {@code properties} name on the calling thread. */
    public ModelRegistry(ResnetProperties properties) {
        this(properties, ModelLoading.load(properties));
    }

    /**
     * Takes the models {@link ModelLoading.Starter} began loading when the application started, or loads
     * them now where nothing was started with these settings (a context built without Spring Boot's
     * application events).
     */
    @Autowired
    public ModelRegistry(ResnetProperties properties, ObjectProvider<ModelLoading> started) {
        this(properties, Optional.ofNullable(started.getIfAvailable())
                .flatMap(loading -> loading.take(properties))
                .orElseGet(() -> ModelLoading.load(properties)));
    }

    private ModelRegistry(ResnetProperties properties, ModelLoading.Loaded loaded) {
        this.device = loaded.device();
        this.models.putAll(loaded.models());
        try {
            this.defaultModel = chooseDefault(properties.defaultModel());
        } catch (RuntimeException e) {
            destroy();
            throw e;
        }
    }

    private LoadedModel chooseDefault(String configured) {
        if (configured != null && !configured.isBlank()) {
            LoadedModel model = models.get(configured);
            if (model == null) {
                throw new ModelLoadException("resnet.default-model is \"" + configured
                        + "\" but the loaded models are " + models.keySet(), null);
            }
            return model;
        }
        return models.values().iterator().next();
    }

    public LoadedModel defaultModel() {
        return defaultModel;
    }

    public Optional<LoadedModel> find(String name) {
        return Optional.ofNullable(models.get(name));
    }

    public Collection<LoadedModel> all() {
        return models.values();
    }

    public Device device() {
        return device;
    }

    @Override
    public void destroy() {
        models.values().forEach(LoadedModel::close);
    }
}
