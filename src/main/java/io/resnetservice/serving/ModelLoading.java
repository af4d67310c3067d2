package io.resnetservice.serving;

import ai.djl.Device;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.runtime.AllocatorSettings;
import io.resnetservice.runtime.NativeSettings;
import io.resnetservice.runtime.Execution;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.ModelFolders;
import io.resnetservice.runtime.NativeEngine;
import io.resnetservice.runtime.VersionPolicy;
import io.resnetservice.model.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.context.event.ApplicationContextInitializedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Loading the models: the PyTorch engine, every model folder's weights and a warm-up forward pass.
 *
 * <p>{@link Starter} begins it on a thread of its own as soon as the application's settings are known,
 * so that libtorch and the weights load while Spring builds the web server and the rest of the
 * application; {@link ModelRegistry} takes the result. The web server starts only after the registry
 * exists, so readiness still means loaded and warmed.
 */
public final class ModelLoading implements DisposableBean {

    static final String BEAN_NAME = "resnetModelLoading";

    private static final Logger log = LoggerFactory.getLogger(ModelLoading.class);

    /** The settings a load depends on; the registry takes a started load only if its own are the same. */
    record Settings(String device, Path modelDir, Execution execution, int intraOp, int interOp, String policy) {
        static Settings of(ResnetProperties properties) {
            return new Settings(properties.device(), properties.modelDir(), properties.execution(),
                    properties.threads().intraOpThreads(), properties.threads().interOp(),
                    properties.modelVersionPolicy());
        }
    }

    /** One version loaded at startup. */
    public record Served(ModelFolders.Version version, LoadedModel model) {}

    /** One version that did not load at startup, and why. */
    public record Failure(ModelFolders.Version version, String reason) {}

    /** The engine's device, the versions loaded (in folder order, highest version first) and those that failed. */
    public record Loaded(Device device, List<Served> served, List<Failure> failures) {

        /** The loaded models by name, the first version of each. */
        public Map<String, LoadedModel> models() {
            Map<String, LoadedModel> models = new LinkedHashMap<>();
            served.forEach(s -> models.putIfAbsent(s.model().name(), s.model()));
            return models;
        }
    }

    private final Settings settings;
    private final CompletableFuture<Loaded> result = new CompletableFuture<>();
    private final AtomicBoolean taken = new AtomicBoolean();

    private ModelLoading(Settings settings) {
        this.settings = settings;
    }

    /** Starts loading what {@code properties} name on a new thread. */
    static ModelLoading start(ResnetProperties properties) {
        ModelLoading loading = new ModelLoading(Settings.of(properties));
        Thread thread = new Thread(() -> {
            try {
                loading.result.complete(load(properties));
            } catch (Throwable e) {
                loading.result.completeExceptionally(e);
            }
        }, "model-loading");
        thread.setDaemon(true);
        thread.start();
        return loading;
    }

    /**
     * Loads every model folder {@code properties} name on the calling thread. A folder that cannot load
     * throws {@link ModelLoadException}, having closed the models loaded before it.
     */
    static Loaded load(ResnetProperties properties) {
        // Before libtorch loads: libgomp reads its wait policy once, when it is loaded.
        NativeSettings.Outcome settings = NativeSettings.apply();
        NativeEngine.configureThreads(properties.threads().intraOpThreads(), properties.threads().interOp());
        Device device = NativeEngine.device(properties.device());
        if (!settings.failed().isEmpty() && !device.isGpu()) {
            log.warn("{} could not be applied in this process: forward passes may run slower. Export them before "
                    + "the JVM starts: {} {}={}", settings.failed(), AllocatorSettings.asShellAssignments(),
                    NativeSettings.OMP_WAIT_POLICY, NativeSettings.PASSIVE);
        } else if (!settings.applied().isEmpty()) {
            log.info("Native settings applied in-process: {} (exported: {})", settings.applied(), settings.exported());
        }
        VersionPolicy policy = VersionPolicy.parse(properties.modelVersionPolicy());
        List<Served> served = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        Map<String, String> folderOfName = new LinkedHashMap<>();
        try {
            for (List<ModelFolders.Version> model : modelsIn(properties.modelDir())) {
                int before = served.size();
                ModelLoadException last = null;
                List<ModelFolders.Version> candidates = candidates(model, policy);
                int wanted = policy.wanted(candidates.size());
                for (ModelFolders.Version version : candidates) {
                    if (served.size() - before == wanted) {
                        break;
                    }
                    LoadedModel loaded;
                    try {
                        loaded = loadVersion(version, device, properties.execution());
                    } catch (ModelLoadException e) {
                        last = e;
                        failures.add(new Failure(version, e.getMessage()));
                        log.warn("Model {} version {} did not load: {}", version.model(), version.version(),
                                e.getMessage());
                        continue;
                    }
                    served.add(new Served(version, loaded));
                    String previous = folderOfName.putIfAbsent(loaded.name(), version.model());
                    if (previous != null && !previous.equals(version.model())) {
                        throw new ModelLoadException("two model folders are named \"" + loaded.name() + "\"", null);
                    }
                }
                if (served.size() == before && last != null) {
                    throw last;
                }
            }
        } catch (RuntimeException | Error e) {
            served.forEach(v -> v.model().close());
            throw e;
        }
        if (served.isEmpty()) {
            throw new ModelLoadException("resnet.model-dir " + properties.modelDir() + " holds no folder with a "
                    + ModelSpec.FILE_NAME, null);
        }
        return new Loaded(device, served, failures);
    }

    /** The models on disk, each its versions; the embedded model where no folder is configured. */
    private static List<List<ModelFolders.Version>> modelsIn(Path modelDir) {
        if (modelDir == null) {
            return List.of(List.of(EMBEDDED));
        }
        Map<String, List<ModelFolders.Version>> byModel = new LinkedHashMap<>();
        for (ModelFolders.Version version : ModelFolders.versions(modelDir)) {
            byModel.computeIfAbsent(version.model(), k -> new ArrayList<>()).add(version);
        }
        return List.copyOf(byModel.values());
    }

    /** The embedded default model, as version 1 of a model without a folder. */
    static final ModelFolders.Version EMBEDDED = new ModelFolders.Version("", 1, null, true);

    private static List<ModelFolders.Version> candidates(List<ModelFolders.Version> versions, VersionPolicy policy) {
        List<Long> order = policy.candidates(versions.stream().filter(ModelFolders.Version::complete)
                .map(ModelFolders.Version::version).toList());
        return order.stream().map(v -> versions.stream().filter(x -> x.version() == v).findFirst().orElseThrow())
                .toList();
    }

    /** Opens, loads and warms one version folder (the embedded model for {@link #EMBEDDED}). */
    public static LoadedModel loadVersion(ModelFolders.Version version, Device device, Execution execution) {
        ModelFolder folder = version.path() == null ? ModelFolders.in(null).get(0)
                : ModelFolder.open(ModelFolder.ModelSource.directory(version.path()));
        String name = folder.spec().name();
        LoadedModel model = LoadedModel.load(folder, device, execution);
        log.info("Loaded model {} version {} ({} ResNet-{}, {} parameters) on {} in {} s, {}", name,
                version.version(), folder.spec().variant(), folder.spec().depth(), model.parameterCount(), device,
                String.format(Locale.ROOT, "%.2f", model.loadSeconds()), "execution " + model.executionName());
        return model;
    }

    /**
     * Waits for this load and hands it over, if it was started with the settings in {@code properties}
     * and not handed over before; otherwise empty, and the caller loads. A failed load throws its error.
     */
    Optional<Loaded> take(ResnetProperties properties) {
        if (!settings.equals(Settings.of(properties)) || !taken.compareAndSet(false, true)) {
            return Optional.empty();
        }
        try {
            return Optional.of(result.join());
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The load itself, without handing it over. */
    CompletableFuture<Loaded> result() {
        return result;
    }

    /** Closes the models of a load nobody took (the application failed, or its settings changed). */
    @Override
    public void destroy() {
        if (taken.compareAndSet(false, true)) {
            try {
                result.join().served().forEach(v -> v.model().close());
            } catch (CompletionException e) {
                // Nothing was loaded; whoever needed the models has reported why.
            }
        }
    }

    /** Starts the load when a Spring Boot application's context is initialised (before its beans exist). */
    public static final class Starter implements ApplicationListener<ApplicationContextInitializedEvent> {

        @Override
        public void onApplicationEvent(ApplicationContextInitializedEvent event) {
            ConfigurableApplicationContext context = event.getApplicationContext();
            if (!(context.getBeanFactory() instanceof DefaultListableBeanFactory factory)
                    || factory.containsSingleton(BEAN_NAME)) {
                return;
            }
            ResnetProperties properties;
            try {
                properties = Binder.get(context.getEnvironment()).bindOrCreate("resnet", ResnetProperties.class);
            } catch (RuntimeException e) {
                return; // the application binds them again, and reports what is wrong
            }
            ModelLoading loading = start(properties);
            factory.registerSingleton(BEAN_NAME, loading);
            factory.registerDisposableBean(BEAN_NAME, loading);
        }
    }
}
