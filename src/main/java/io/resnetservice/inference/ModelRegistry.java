package io.resnetservice.inference;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
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

    /** Where the default model sits inside the application jar. */
    public static final String EMBEDDED_MODEL = "models/fashion-mnist-resnet18";

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    private final Map<String, LoadedModel> models = new LinkedHashMap<>();
    private final LoadedModel defaultModel;
    private final Device device;

    public ModelRegistry(ResnetProperties properties) {
        configureThreads(properties.threads());
        this.device = device(properties.device());
        List<String> unset = AllocatorSettings.missing(System.getenv());
        if (!unset.isEmpty() && !device.isGpu()) {
            log.warn("{} not set: forward passes will page-fault their activations on every call (up to 1.6x "
                    + "slower on this project's machines). Start the JVM with {}", unset,
                    AllocatorSettings.asShellAssignments());
        }
        for (ModelFolder folder : folders(properties.modelDir())) {
            String name = folder.spec().name();
            if (models.containsKey(name)) {
                throw new ModelLoadException("two model folders are named \"" + name + "\"", null);
            }
            ResnetProperties.Execution execution = properties.execution();
            LoadedModel model = LoadedModel.load(folder, device,
                    new LoadedModel.Execution(execution.foldBatchNorm(), execution.channelsLast(),
                            execution.fusedOneDnn()));
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

    /**
     * Before the engine starts, DJL reads these; afterwards set the intra-op pool directly. libtorch
     * sizes its pool by the machine's cores, not a container's CPU limit, so the default follows the
     * JVM's count, which does honour the limit. Public so the benchmark sets threads exactly as the
     * service does.
     */
    public static void configureThreads(ResnetProperties.Threads threads) {
        int intraOp = threads.intraOpThreads();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
        if (threads.interOp() > 0) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads.interOp()));
        }
        Engine.getInstance();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(intraOp);
    }

    static Device device(String setting) {
        return switch (setting) {
            case "auto" -> Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            default -> {
                int id = setting.startsWith("gpu:") ? Integer.parseInt(setting.substring(4)) : 0;
                int gpus = Engine.getInstance().getGpuCount();
                if (id >= gpus) {
                    throw new ModelLoadException("resnet.device is " + setting + " but the PyTorch engine sees "
                            + gpus + " GPU(s); use cpu or auto", null);
                }
                yield Device.gpu(id);
            }
        };
    }

    private static Iterable<ModelFolder> folders(Path modelDir) {
        if (modelDir == null) {
            try {
                return java.util.List.of(ModelFolder.open(ModelFolder.ModelSource.classpath(EMBEDDED_MODEL)));
            } catch (ModelLoadException e) {
                throw new ModelLoadException("no model configured and no embedded default model ("
                        + e.getMessage() + "): set resnet.model-dir to a folder of model folders, each with a "
                        + ModelSpec.FILE_NAME, e);
            }
        }
        if (!Files.isDirectory(modelDir)) {
            throw new ModelLoadException("resnet.model-dir " + modelDir + " is not a folder", null);
        }
        try (Stream<Path> children = Files.list(modelDir)) {
            var folders = children.filter(d -> Files.isRegularFile(d.resolve(ModelSpec.FILE_NAME)))
                    .sorted()
                    .map(d -> ModelFolder.open(ModelFolder.ModelSource.directory(d)))
                    .toList();
            if (folders.isEmpty()) {
                throw new ModelLoadException("resnet.model-dir " + modelDir + " holds no folder with a "
                        + ModelSpec.FILE_NAME, null);
            }
            return folders;
        } catch (IOException e) {
            throw new ModelLoadException("resnet.model-dir " + modelDir + ": " + e.getMessage(), e);
        }
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
