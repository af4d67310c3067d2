package io.resnetservice.serving;

import ai.djl.Device;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.runtime.AllocatorSettings;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.ModelFolders;
import io.resnetservice.runtime.NativeEngine;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Every model the service answers with, loaded and warmed once while the application starts, so the
 * service is not ready before it can classify. A model that cannot load stops startup.
 */
@Component
public class ModelRegistry implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    private final Map<String, LoadedModel> models = new LinkedHashMap<>();
    private final LoadedModel defaultModel;
    private final Device device;

    public ModelRegistry(ResnetProperties properties) {
        NativeEngine.configureThreads(properties.threads().intraOpThreads(), properties.threads().interOp());
        this.device = NativeEngine.device(properties.device());
        List<String> unset = AllocatorSettings.missing(System.getenv());
        if (!unset.isEmpty() && !device.isGpu()) {
            log.warn("{} not set: forward passes will page-fault their activations on every call and run "
                    + "slower. Start the JVM with {}", unset,
                    AllocatorSettings.asShellAssignments());
        }
        for (ModelFolder folder : ModelFolders.in(properties.modelDir())) {
            String name = folder.spec().name();
            if (models.containsKey(name)) {
                throw new ModelLoadException("two model folders are named \"" + name + "\"", null);
            }
            LoadedModel model = LoadedModel.load(folder, device, properties.execution());
            log.info("Loaded model {} ({} ResNet-{}, {} parameters) on {} in {} s, {}", name,
                    folder.spec().variant(), folder.spec().depth(), model.parameterCount(), device,
                    String.format("%.2f", model.loadSeconds()),
                    "execution " + model.executionName());
            models.put(name, model);
        }
        this.defaultModel = chooseDefault(properties.defaultModel());
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
